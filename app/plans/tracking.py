"""Which planned inspections are due, done or missed, and starting one from its plan."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.catalog.models import Site
from app.catalog.sites import with_path
from app.core.audit import record_event
from app.core.evidence import Position
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import month_days
from app.feedback.models import Survey
from app.inspections.checklist import Plan, start_inspection
from app.inspections.evidence import record_check_in
from app.inspections.models import Inspection, Schedule, Status, inspection_sites
from app.plans.models import InspectionPlan, PlanStop, VisitState, plan_inspectors
from app.plans.recurrence import current_due, due_dates, open_until

# What a plan's page shows of its route (each stop's place with its path, the check points
# chosen there) and its people, loaded with the plan: a route of ten stops costs the
# statements of one.
PLAN_SHOWN = (
    selectinload(InspectionPlan.stops).options(
        joinedload(PlanStop.site).options(with_path()), selectinload(PlanStop.check_points)
    ),
    selectinload(InspectionPlan.inspectors),
)


@dataclass
class Visit:
    """One stop of one occurrence of a plan: a place to inspect between `due` and `until`;
    for a survey plan, the period's survey to open (no place)."""

    plan: InspectionPlan
    due: date
    until: date
    site: Site | None
    inspection: Inspection | None
    state: VisitState
    survey: Survey | None = None


def _plans(user: User | None = None, *, with_stops: bool = True) -> list[InspectionPlan]:
    query = sa.select(InspectionPlan).where(InspectionPlan.active.is_(True))
    if with_stops:
        query = query.options(selectinload(InspectionPlan.stops).selectinload(PlanStop.site))
    if user is not None:
        query = query.join(plan_inspectors).where(plan_inspectors.c.user_id == user.id)
    return list(db.session.scalars(query.order_by(InspectionPlan.name)))


def _inspections_for(occurrences: list[tuple[InspectionPlan, date]]) -> dict:
    """The inspection carrying out each (plan, due date, site); a submitted one first."""
    if not occurrences:
        return {}
    plan_ids = {plan.id for plan, _due in occurrences}
    dues = [due for _plan, due in occurrences]
    found = db.session.scalars(
        sa.select(Inspection)
        .where(
            Inspection.plan_id.in_(plan_ids),
            Inspection.plan_due >= min(dues),
            Inspection.plan_due <= max(dues),
        )
        .options(selectinload(Inspection.sites))
    ).all()
    best: dict[tuple, Inspection] = {}
    for inspection in sorted(found, key=lambda i: (i.status == Status.SUBMITTED, i.id)):
        for site in inspection.sites:
            best[(inspection.plan_id, inspection.plan_due, site.id)] = inspection
    return best


def _surveys_for(occurrences: list[tuple[InspectionPlan, date]]) -> dict:
    """The survey opened for each (survey plan, due date)."""
    plan_ids = {plan.id for plan, _due in occurrences if plan.is_survey}
    if not plan_ids:
        return {}
    found = db.session.scalars(
        sa.select(Survey)
        .where(Survey.plan_id.in_(plan_ids))
        .options(selectinload(Survey.responses))
    )
    return {(survey.plan_id, survey.plan_due): survey for survey in found}


def _state(started: bool, finished: bool, due: date, until: date, today: date) -> VisitState:
    if finished:
        return VisitState.DONE
    if today > until:
        return VisitState.MISSED
    if today < due:
        return VisitState.UPCOMING
    return VisitState.IN_PROGRESS if started else VisitState.DUE


def _visits(occurrences: list[tuple[InspectionPlan, date]], today: date) -> list[Visit]:
    """An inspection visit is done once submitted; a survey once someone has answered it."""
    done = _inspections_for([(plan, due) for plan, due in occurrences if not plan.is_survey])
    surveys = _surveys_for(occurrences)
    visits = []
    for plan, due in occurrences:
        until = open_until(plan.rule, due)
        if plan.is_survey:
            survey = surveys.get((plan.id, due))
            answered = survey is not None and bool(survey.responses)
            state = _state(survey is not None, answered, due, until, today)
            visits.append(Visit(plan, due, until, None, None, state, survey=survey))
            continue
        for stop in plan.stops:
            inspection = done.get((plan.id, due, stop.site_id))
            submitted = inspection is not None and inspection.status == Status.SUBMITTED
            state = _state(inspection is not None, submitted, due, until, today)
            visits.append(Visit(plan, due, until, stop.site, inspection, state))
    return visits


def visits_between(
    start: date, end: date, today: date, plans: list[InspectionPlan] | None = None
) -> list[Visit]:
    """Every planned visit (of `plans`, else of all active plans) falling due from `start`
    to `end`."""
    occurrences = [
        (plan, due)
        for plan in (_plans() if plans is None else plans)
        for due in due_dates(plan.rule, start, end)
    ]
    return _visits(occurrences, today)


def _open_occurrences(
    plans: list[InspectionPlan], today: date
) -> list[tuple[InspectionPlan, date]]:
    """Each plan's occurrence open today, if it has one: (plan, due date)."""
    occurrences = []
    for plan in plans:
        due = current_due(plan.rule, today)
        if due is not None:
            occurrences.append((plan, due))
    return occurrences


def open_visits(user: User, today: date) -> list[Visit]:
    """The user's plans' occurrences open today, every stop in route order (done ones too,
    so the route shows how far it has come)."""
    return _visits(_open_occurrences(_plans(user), today), today)


@dataclass(frozen=True)
class OpenOccurrences:
    """Which of a user's plans' occurrences are open: (plan id, due date) pairs, for routes and
    for surveys. Hashable, so that a statement built from them can be kept for reuse."""

    routes: tuple[tuple[int, date], ...] = ()
    surveys: tuple[tuple[int, date], ...] = ()


def open_occurrences(user: User, today: date) -> OpenOccurrences:
    """The user's plans' occurrences open today, read from the plans (one statement)."""
    occurrences = _open_occurrences(_plans(user, with_stops=False), today)
    return OpenOccurrences(
        routes=tuple((plan.id, due) for plan, due in occurrences if not plan.is_survey),
        surveys=tuple((plan.id, due) for plan, due in occurrences if plan.is_survey),
    )


def visits_due_count(occurrences: OpenOccurrences):
    """SQL for how many of `open_visits` are due or in progress, for the caller's statement:
    an open occurrence's stops without a submitted inspection there, and its survey if no
    one has answered it. The visits are counted in SQL, not loaded."""
    count = sa.literal(len(occurrences.surveys))
    if occurrences.routes:
        count += (
            sa.select(sa.func.count(PlanStop.id))
            .where(sa.or_(*(_stop_due(plan_id, due) for plan_id, due in occurrences.routes)))
            .scalar_subquery()
        )
    if occurrences.surveys:
        answered = (
            sa.and_(Survey.plan_id == plan_id, Survey.plan_due == due)
            for plan_id, due in occurrences.surveys
        )
        count -= (
            sa.select(sa.func.count(Survey.id))
            .where(sa.or_(*answered), Survey.responses.any())
            .scalar_subquery()
        )
    return count


def _stop_due(plan_id: int, due: date):
    """The condition on PlanStop for a stop of this occurrence not yet done: no submitted
    inspection of the occurrence covers its place."""
    done = (
        sa.select(Inspection.id)
        .join(inspection_sites)
        .where(
            Inspection.plan_id == plan_id,
            Inspection.plan_due == due,
            Inspection.status == Status.SUBMITTED,
            inspection_sites.c.site_id == PlanStop.site_id,
        )
        .exists()
    )
    return sa.and_(PlanStop.plan_id == plan_id, ~done)


def figures(visits: list[Visit]) -> dict[str, int]:
    """Planned visits against what was done: the dashboard's and the bulletin's counts."""
    count = {state: 0 for state in VisitState}
    for visit in visits:
        count[visit.state] += 1
    return {
        "planned": len(visits),
        "done": count[VisitState.DONE],
        "missed": count[VisitState.MISSED],
        "open": count[VisitState.DUE] + count[VisitState.IN_PROGRESS] + count[VisitState.UPCOMING],
    }


def stop_coverage(stop: PlanStop, *, every_point: bool = False) -> Plan:
    """What a visit to this stop checks: the plan's line or contractor at this place (only
    the points of the plan's frequency, if it has one), narrowed to the stop's own check
    points unless `every_point`."""
    plan = stop.plan
    chosen = frozenset(point.id for point in stop.check_points)
    return Plan(
        plan.scope,
        stop.site,
        service_line=plan.service_line,
        contractor=plan.contractor,
        only_points=None if every_point or not chosen else chosen,
        frequency=plan.frequency,
    )


def _check_open(plan: InspectionPlan, due: date, user: User, today: date) -> None:
    if user not in plan.inspectors:
        raise Refused(_("You are not one of this plan's inspectors."))
    if due not in due_dates(plan.rule, due, due) or not due <= today <= open_until(plan.rule, due):
        raise Refused(_("This visit is not open today."))


def open_planned_survey(plan: InspectionPlan, due: date, user: User, today: date) -> Survey:
    """The survey of one occurrence of a survey plan: the one already opened, or a new one
    open from today until the next occurrence. The caller commits."""
    if not plan.is_survey:
        raise Refused(_("This plan is not a survey plan."))
    _check_open(plan, due, user, today)
    survey = _surveys_for([(plan, due)]).get((plan.id, due))
    if survey is None:
        quarter = f"{due.year}-Q{(due.month - 1) // 3 + 1}"
        survey = Survey(
            title=f"{plan.name} {quarter}",
            quarter=quarter,
            opens_on=today,
            closes_on=open_until(plan.rule, due),
            created_by=user,
            plan=plan,
            plan_due=due,
        )
        db.session.add(survey)
        db.session.flush()
        record_event("survey_opened", plan, actor=user, detail=survey.title)
    return survey


def start_visit(
    plan: InspectionPlan,
    due: date,
    site: Site,
    user: User,
    today: date,
    *,
    scanned_at: datetime | None = None,
    position: Position | None = None,
) -> Inspection:
    """The inspection for one planned visit: the draft already started, or a new one with
    the plan's kind, tier and inspectors. A scan of the place's QR code is recorded on it,
    with where the phone was when it told (`position`). The caller commits."""
    _check_open(plan, due, user, today)
    stop = next((stop for stop in plan.stops if stop.site_id == site.id), None)
    if stop is None:
        raise Refused(_("This place is not on the plan's route."))
    existing = _inspections_for([(plan, due)]).get((plan.id, due, site.id))
    if existing is not None and existing.status == Status.SUBMITTED:
        raise Refused(_("This visit is already done."))
    inspection = existing
    if inspection is None:
        coverage = stop_coverage(stop)
        try:
            inspection = start_inspection(
                coverage,
                user,
                schedule=Schedule.SCHEDULED,
                party=plan.party,
                tier=plan.tier,
                co_inspectors=plan.inspectors,
            )
        except Refused as refusal:
            raise Refused(str(refusal)) from refusal
        inspection.plan = plan
        inspection.plan_due = due
    if scanned_at is not None:
        db.session.flush()
        record_check_in(inspection, site, scanned_at, position)
        record_event("qr_scanned", inspection, actor=user, at=scanned_at, detail=site.name)
    return inspection


def month_figures(month: str, today: date) -> dict[str, int]:
    """Planned visits of a month so far (due by today) against what was done."""
    first, last = month_days(month)
    return figures(visits_between(first, min(last, today), today))
