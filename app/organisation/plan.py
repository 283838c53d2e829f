"""The dry run: what importing a workbook would create, change, leave alone and leave out,
and every problem that stops it. It reads the system in a few bulk queries, one per kind of
record, whatever the size of the workbook, and writes nothing."""

import hashlib
import json
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site, StaffMember
from app.core.extensions import db
from app.organisation.changes import ENTITIES, Outcome, Work
from app.organisation.plan_people import ContractorIndex, plan_accounts, plan_staff
from app.organisation.plan_places import plan_contractors, plan_places
from app.organisation.rows import Rows, parse_workbook_rows
from app.organisation.sheets import SHEETS
from app.organisation.workbook import Problem, Unreadable, read_workbook


@dataclass
class Plan:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # by ENTITIES key, sheets read
    problems: list[Problem] = field(default_factory=list)
    work: Work | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return any(o.created or o.changed for o in self.outcomes.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            key: {
                "created": len(o.created),
                "changed": len(o.changed),
                "unchanged": o.unchanged,
                "missing": len(o.missing),
            }
            for key, o in self.outcomes.items()
        }

    def summary(self) -> list[str]:
        """A line per kind of record: how many are new, changed, unchanged, left out."""
        return [
            _(
                "%(records)s: %(created)d new, %(changed)d changed, %(unchanged)d unchanged, "
                "%(missing)d not in the workbook",
                records=ENTITIES[key],
                **counts,
            )
            for key, counts in self.counts().items()
        ]

    @property
    def digest(self) -> str:
        """A fingerprint of everything the dry run showed: a confirmation applies the plan
        only if it is still the same."""
        shown = {
            "outcomes": {key: asdict(outcome) for key, outcome in self.outcomes.items()},
            "problems": [asdict(problem) for problem in self.problems],
        }
        text = json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def plan_import(data: bytes, actor: User | None = None) -> Plan:
    """Read a workbook and compare it with the system; the session is left unchanged."""
    try:
        raw = read_workbook(data)
    except Unreadable as refusal:
        return Plan(problems=[Problem("", None, "", str(refusal))])
    return make_plan(parse_workbook_rows(raw), actor)


def make_plan(rows: Rows, actor: User | None = None) -> Plan:
    plan, work = Plan(problems=rows.problems), Work()
    plan.work = work
    with db.session.no_autoflush:
        work.sites = {site.code: site for site in db.session.scalars(sa.select(Site))}
        lines = db.session.scalars(sa.select(ServiceLine)).all()
        work.lines = {line.name.upper(): line for line in lines}
        work.lines.update({line.code.upper(): line for line in lines})
        if rows.places is not None:
            plan.outcomes["places"] = Outcome()
            plan_places(
                rows.places, rows.rejected["places"], work, plan.outcomes["places"], plan.problems
            )
        place_codes = set(work.sites) | {item.row.code for item in work.places}
        place_codes |= rows.rejected.get("places", set())
        if rows.contractors is None and rows.staff is None and rows.accounts is None:
            return _sorted(plan)
        contractors = _contractors()
        outcome = Outcome()
        if rows.contractors is not None:
            plan.outcomes["contractors"] = outcome
        everyone = plan_contractors(
            rows.contractors, contractors, place_codes, work, outcome, plan.problems
        )
        index = ContractorIndex(everyone, rows.rejected.get("contractors", set()))
        if rows.staff is not None:
            people = plan.outcomes["staff"] = Outcome()
            held = plan.outcomes["certificates"] = Outcome()
            plan_staff(rows.staff, _staff(), index, work, (people, held), plan.problems)
        if rows.accounts is not None:
            plan.outcomes["accounts"] = Outcome()
            users = db.session.scalars(sa.select(User)).all()
            by_id = {contractor.id: contractor for contractor in contractors}
            plan_accounts(
                rows.accounts,
                users,
                by_id,
                index,
                actor,
                work,
                plan.outcomes["accounts"],
                plan.problems,
            )
    return _sorted(plan)


def _contractors() -> list[Contractor]:
    return list(
        db.session.scalars(
            sa.select(Contractor)
            .order_by(Contractor.name)
            .options(selectinload(Contractor.service_lines), selectinload(Contractor.sites))
        )
    )


def _staff() -> list[StaffMember]:
    return list(
        db.session.scalars(
            sa.select(StaffMember)
            .order_by(StaffMember.contractor_id, StaffMember.name, StaffMember.id)
            .options(selectinload(StaffMember.certificates))
        )
    )


def _sorted(plan: Plan) -> Plan:
    """Problems in the order of the workbook: the file's first, then sheet by sheet, by row."""
    order = {spec.title: position for position, spec in enumerate(SHEETS, start=1)}
    plan.problems.sort(key=lambda p: (order.get(p.sheet, 0), p.row or 0))
    plan.outcomes = {key: plan.outcomes[key] for key in ENTITIES if key in plan.outcomes}
    return plan
