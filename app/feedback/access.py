"""Who may handle complaints and surveys, and finding them for a route: supervisors see
them and investigate complaints; managers log, accept, assign and decide complaints and
keep surveys (the public reach their own complaint and a survey only through their
secret links)."""

from flask import abort

from app.auth.access import EDITORS, SUPERVISORS
from app.core.extensions import db
from app.feedback.models import Complaint, Survey


def can_investigate(user) -> bool:
    """Supervisors add evidence to a complaint."""
    return user.role in SUPERVISORS


def can_decide_complaints(user) -> bool:
    """Managers log, accept, assign responsibility for and decide complaints."""
    return user.role in EDITORS


def can_edit_surveys(user) -> bool:
    return user.role in EDITORS


def get_complaint(complaint_id: int) -> Complaint:
    return db.session.get(Complaint, complaint_id) or abort(404)


def get_survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)
