"""Finding a plan or its stop for a route; who may use them is the route's role check."""

from flask import abort

from app.core.extensions import db
from app.plans.models import InspectionPlan, PlanStop


def get_plan(plan_id: int) -> InspectionPlan:
    return db.session.get(InspectionPlan, plan_id) or abort(404)


def get_stop(plan: InspectionPlan, stop_id: int) -> PlanStop:
    return next((stop for stop in plan.stops if stop.id == stop_id), None) or abort(404)
