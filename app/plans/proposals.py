"""Plans made from frequencies: how often each check point of a line is checked proposes
one plan per frequency, checking only that frequency's points. Proposing saves nothing;
creating saves the plans the manager kept, as adjusted, in one transaction."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.catalog.models import CheckPoint, Contractor, Frequency, ServiceLine, Site
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.inspections.checklist import Plan, plan_check_points
from app.inspections.models import Party, Scope, Tier
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence

RECURRENCE_OF = {
    Frequency.DAILY: Recurrence.DAILY,
    Frequency.WEEKLY: Recurrence.WEEKLY,
    Frequency.HALF_MONTHLY: Recurrence.HALF_MONTHLY,
    Frequency.MONTHLY: Recurrence.MONTHLY,
    Frequency.QUARTERLY: Recurrence.QUARTERLY,
}

# The supervision group's own patrols are the daily tier; the weekly check is the joint one;
# a month's and a quarter's checks are the joint big inspection.
TIER_OF = {
    Frequency.DAILY: Tier.DAILY,
    Frequency.WEEKLY: Tier.WEEKLY_JOINT,
    Frequency.HALF_MONTHLY: Tier.DAILY,
    Frequency.MONTHLY: Tier.MONTHLY,
    Frequency.QUARTERLY: Tier.MONTHLY,
}


@dataclass
class ProposedPlan:
    """One plan a frequency proposes, with what the manager may change before saving."""

    frequency: Frequency
    name: str
    starts_on: date
    tier: Tier
    weekday: int | None = None  # weekly: 0 = Monday
    day_of_month: int | None = None  # twice a month, monthly, quarterly
    period_month: int | None = None  # quarterly: 1..3
    points: list[CheckPoint] = field(default_factory=list)
    chosen: bool = True

    @property
    def recurrence(self) -> Recurrence:
        return RECURRENCE_OF[self.frequency]


def points_by_frequency(line: ServiceLine) -> dict[Frequency, list[CheckPoint]]:
    """The line's active check points by how often they are checked, in library order."""
    grouped: dict[Frequency, list[CheckPoint]] = {}
    for point in plan_check_points(Plan(Scope.STRIP, None, service_line=line)):
        grouped.setdefault(point.frequency, []).append(point)
    return {frequency: grouped[frequency] for frequency in Frequency if frequency in grouped}


def propose_plans(line: ServiceLine, starts_on: date) -> list[ProposedPlan]:
    """One plan per frequency the line's points use, most frequent first: weekly ones on
    Mondays, twice a month on the 1st and the 16th, the others on the 1st (of the quarter's
    first month)."""
    proposals = []
    for frequency, points in points_by_frequency(line).items():
        recurrence = RECURRENCE_OF[frequency]
        proposals.append(
            ProposedPlan(
                frequency=frequency,
                name=_("%(line)s · %(frequency)s check", line=line.name, frequency=frequency.label),
                starts_on=starts_on,
                tier=TIER_OF[frequency],
                weekday=0 if recurrence == Recurrence.WEEKLY else None,
                day_of_month=None if recurrence in (Recurrence.DAILY, Recurrence.WEEKLY) else 1,
                period_month=1 if recurrence == Recurrence.QUARTERLY else None,
                points=points,
            )
        )
    return proposals


def create_plans(
    line: ServiceLine,
    sites: list[Site],
    inspectors: list[User],
    party: Party,
    proposals: list[ProposedPlan],
) -> list[InspectionPlan]:
    """The chosen proposals as strip-check plans of the line along the same route, each
    checking only its frequency's points, each audited as a plan made by hand; the caller
    commits them together."""
    chosen = [proposal for proposal in proposals if proposal.chosen]
    if not chosen:
        raise Refused(_("Choose at least one plan to create."))
    if not sites:
        raise Refused(_("Choose at least one place."))
    plans = []
    for proposal in chosen:
        plan = InspectionPlan(
            name=proposal.name,
            recurrence=proposal.recurrence,
            weekday=proposal.weekday,
            day_of_month=proposal.day_of_month,
            period_month=proposal.period_month,
            starts_on=proposal.starts_on,
            tier=proposal.tier,
            scope=Scope.STRIP,
            party=party,
            service_line=line,
            frequency=proposal.frequency,
            stops=[PlanStop(site=site, position=n) for n, site in enumerate(sites, start=1)],
            inspectors=list(inspectors),
        )
        plan.clear_days_unused()
        db.session.add(plan)
        db.session.flush()
        record_event("plan_saved", plan, detail=plan.name)
        plans.append(plan)
    return plans


def active_line(line_id: int | None) -> ServiceLine | None:
    """The active service line with this id, if there is one."""
    if line_id is None:
        return None
    return db.session.scalar(
        sa.select(ServiceLine).where(ServiceLine.id == line_id, ServiceLine.active.is_(True))
    )


def frequency_has_points(
    frequency: Frequency,
    scope: Scope,
    line_id: int | None,
    contractor_id: int | None,
    site_ids: list[int],
) -> bool:
    """Whether a plan of this scope and line or contractor narrowed to `frequency` has check
    points to ask: at every place of its route when the contractors are those of the place
    (a block check of no one contractor), else at all."""
    line = db.session.get(ServiceLine, line_id) if line_id is not None else None
    contractor = db.session.get(Contractor, contractor_id) if contractor_id is not None else None
    if scope == Scope.BLOCK and contractor is None:
        places = [db.session.get(Site, site_id) for site_id in site_ids]
    else:
        places = [None]
    return all(
        plan_check_points(
            Plan(scope, place, service_line=line, contractor=contractor, frequency=frequency)
        )
        for place in places
    )
