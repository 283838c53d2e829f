"""Finding a complaint or a survey for a route; who may use them is the route's role check
(the public reach their own complaint and a survey only through their secret links)."""

from flask import abort

from app.core.extensions import db
from app.feedback.models import Complaint, Survey


def get_complaint(complaint_id: int) -> Complaint:
    return db.session.get(Complaint, complaint_id) or abort(404)


def get_survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)
