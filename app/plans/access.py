"""Who may keep plans, and finding a plan or its stop for a route: supervisors see plans
and start their visits; managers keep them; inspectors and managers go on them."""

from flask import abort

from app.auth.access import EDITORS
from app.auth.models import Role, User
from app.core.extensions import db
from app.plans.models import InspectionPlan, PlanStop


def can_edit_plans(user) -> bool:
    return user.role in EDITORS


def plan_inspector_accounts():
    """The condition on User for those a plan may send on its visits."""
    return User.role.in_((Role.INSPECTOR, Role.MANAGER))


def get_plan(plan_id: int, *loading) -> InspectionPlan:
    """The plan (else 404), loaded with the `loading` options."""
    return db.session.get(InspectionPlan, plan_id, options=loading) or abort(404)


def get_stop(plan: InspectionPlan, stop_id: int) -> PlanStop:
    return next((stop for stop in plan.stops if stop.id == stop_id), None) or abort(404)
