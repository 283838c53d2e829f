"""A manager puts a survey's results into a month of the assessment (from the survey's page)."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessments.blueprint import bp
from app.assessments.satisfaction import apply_survey_results
from app.auth.access import EDITORS, role_required
from app.feedback.access import get_survey
from app.feedback.forms import ApplyForm
from app.feedback.surveys import quarter_months


@bp.post("/surveys/<int:survey_id>/apply")
@role_required(*EDITORS)
def apply_survey(survey_id: int):
    survey = get_survey(survey_id)
    form = ApplyForm()
    form.month.choices = [(m, m) for m in quarter_months(survey.quarter)]
    if not form.validate_on_submit():
        abort(400)
    count = apply_survey_results(survey, form.month.data, current_user._get_current_object())
    flash(
        _("Satisfaction of %(n)d contractors set for %(month)s.", n=count, month=form.month.data),
        "success",
    )
    return redirect(url_for("feedback.survey", survey_id=survey.id))
