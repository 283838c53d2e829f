from flask import Blueprint

bp = Blueprint("feedback", __name__)

from app.feedback import complaint_views, public_views, survey_views  # noqa: E402,F401
