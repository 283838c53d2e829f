"""Keeping plans: saving a plan from its form, reordering its route, choosing the check
points asked at a stop. Each writes, records the audit event and commits."""

import sqlalchemy as sa

from app.auth.models import User
from app.catalog.forms import populate_except
from app.catalog.models import CheckPoint
from app.core.audit import record_event
from app.core.extensions import db
from app.inspections.models import Party, Scope, Tier
from app.plans.forms import PlanForm
from app.plans.models import InspectionPlan, PlanActivity, PlanStop
from app.plans.recurrence import Recurrence

CHOSEN_APART = ("activity", "recurrence", "tier", "scope", "party", "frequency")
LINKED = ("service_line", "contractor", "sites", "inspectors")


def save_plan(plan: InspectionPlan | None, form: PlanForm) -> InspectionPlan:
    """A new plan, or `plan` changed, as the validated form says."""
    plan = plan or InspectionPlan()
    populate_except(form, plan, *CHOSEN_APART, *LINKED)
    plan.activity = PlanActivity(form.activity.data)
    plan.recurrence = Recurrence(form.recurrence.data)
    plan.clear_days_unused()
    plan.frequency = form.chosen_frequency
    if plan.is_survey:
        plan.tier = plan.scope = plan.service_line_id = plan.contractor_id = None
        plan.party = Party.INTERNAL
        _set_route(plan, [])
    else:
        plan.tier, plan.scope = Tier(form.tier.data), Scope(form.scope.data)
        plan.party = Party(form.party.data)
        plan.service_line_id = form.service_line.data if plan.scope == Scope.STRIP else None
        plan.contractor_id = form.contractor.data if plan.scope == Scope.BLOCK else None
        _set_route(plan, form.sites.data)
    plan.inspectors = db.session.scalars(
        sa.select(User).where(User.id.in_(form.inspectors.data))
    ).all()
    db.session.add(plan)
    db.session.flush()
    record_event("plan_saved", plan, detail=plan.name)
    db.session.commit()
    return plan


def _set_route(plan: InspectionPlan, site_ids: list[int]) -> None:
    """Keep the walking order of places already on the route; new ones go at the end."""
    wanted = set(site_ids)
    kept = [stop for stop in plan.stops if stop.site_id in wanted]
    have = {stop.site_id for stop in kept}
    for site_id in site_ids:
        if site_id not in have:
            kept.append(PlanStop(site_id=site_id))
    for position, stop in enumerate(kept, start=1):
        stop.position = position
    plan.stops = kept


def reorder_stop(plan: InspectionPlan, stop: PlanStop, earlier: bool) -> None:
    """Swap the stop with the one before it (or after it); the first stays first."""
    stops = list(plan.stops)
    index = stops.index(stop)
    other = index - 1 if earlier else index + 1
    if 0 <= other < len(stops):
        stops[index].position, stops[other].position = stops[other].position, stops[index].position
        db.session.commit()


def choose_stop_points(plan: InspectionPlan, stop: PlanStop, points: list[CheckPoint]) -> None:
    """Ask only these check points at the stop (none: every point its coverage has)."""
    stop.check_points = points
    record_event("plan_stop_saved", plan, detail=f"{stop.site.name}: {len(points) or '*'}")
    db.session.commit()
