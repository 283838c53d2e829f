"""Surveys: managers open one per quarter and print its QR code; anyone answers it once,
without an account; the results go into the assessment when a manager says so."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.models import Contractor
from app.extensions import db
from app.feedback import bp
from app.feedback.forms import ApplyForm, SurveyForm
from app.feedback.guard import form_stamp, looks_automated, note_submission, over_limit
from app.feedback.models import Rating, Survey
from app.feedback.surveys import (
    AnswerRefused,
    apply_to_assessment,
    has_answered,
    record_answer,
    results,
)
from app.plans.qr import qr_svg
from app.timeutil import local_today

VOTER_COOKIE = "xj_voter"
ANSWERS_PER_ADDRESS = 60  # an office's staff may share one address
ANSWER_WINDOW = timedelta(hours=1)


def get_survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)


def quarter_months(quarter: str) -> list[str]:
    year, number = quarter.split("-Q")
    first = (int(number) - 1) * 3 + 1
    return [f"{year}-{month:02d}" for month in range(first, first + 3)]


@bp.get("/surveys")
@role_required(*SUPERVISORS)
def surveys():
    rows = db.session.scalars(sa.select(Survey).order_by(Survey.opens_on.desc())).all()
    return render_template(
        "feedback/surveys.html",
        surveys=rows,
        today=local_today(),
        can_edit=current_user.role in EDITORS,
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_survey():
    form = SurveyForm()
    if form.validate_on_submit():
        survey = Survey(created_by=current_user._get_current_object())
        form.populate_obj(survey)
        db.session.add(survey)
        db.session.commit()
        return redirect(url_for("feedback.survey", survey_id=survey.id))
    return render_template(
        "form_page.html",
        form=form,
        title=_("New satisfaction survey"),
        cancel_url=url_for("feedback.surveys"),
    ), (422 if request.method == "POST" else 200)


@bp.get("/surveys/<int:survey_id>")
@role_required(*SUPERVISORS)
def survey(survey_id: int):
    survey = get_survey(survey_id)
    link = url_for("feedback.answer_survey", slug=survey.slug, _external=True)
    form = ApplyForm()
    form.month.choices = [(m, m) for m in quarter_months(survey.quarter)]
    form.month.data = survey.applied_month or quarter_months(survey.quarter)[-1]
    return render_template(
        "feedback/survey.html",
        survey=survey,
        results=results(survey),
        link=link,
        qr=qr_svg(link),
        form=form,
        today=local_today(),
        can_edit=current_user.role in EDITORS,
    )


@bp.post("/surveys/<int:survey_id>/apply")
@role_required(*EDITORS)
def apply_survey(survey_id: int):
    survey = get_survey(survey_id)
    form = ApplyForm()
    form.month.choices = [(m, m) for m in quarter_months(survey.quarter)]
    if not form.validate_on_submit():
        abort(400)
    count = apply_to_assessment(survey, form.month.data, current_user._get_current_object())
    db.session.commit()
    flash(
        _("Satisfaction of %(n)d contractors set for %(month)s.", n=count, month=form.month.data),
        "success",
    )
    return redirect(url_for("feedback.survey", survey_id=survey.id))


@bp.route("/s/<slug>", methods=["GET", "POST"])
def answer_survey(slug: str):
    """The public questionnaire: no login, one answer per browser, rate-limited per address."""
    survey = db.session.scalar(sa.select(Survey).where(Survey.slug == slug)) or abort(404)
    if not survey.is_open(local_today()):
        return render_template("feedback/survey_closed.html", survey=survey, public=True), 410
    voter = request.cookies.get(VOTER_COOKIE, "")
    contractors = db.session.scalars(
        sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    ).all()
    refusal, status = None, 200
    if request.method == "POST":
        ratings, status = {}, 422
        for contractor in contractors:
            try:
                ratings[contractor.id] = Rating(request.form.get(f"rating-{contractor.id}", ""))
            except ValueError:
                pass  # left unrated: the person does not know this service
        if looks_automated(request.form.get("stamp", ""), request.form.get("website", "")):
            refusal = _("This form could not be accepted. Please fill it in again.")
        elif not voter:
            refusal = _(
                "Your browser must accept cookies to answer: they keep one answer per person."
            )
        elif over_limit("survey", ANSWERS_PER_ADDRESS, ANSWER_WINDOW):
            refusal, status = (
                _("Too many answers from this network just now. Please try later."),
                429,
            )
        else:
            try:
                record_answer(survey, voter, ratings, request.form.get("comment", ""))
                note_submission("survey")
                db.session.commit()
            except AnswerRefused as why:
                db.session.rollback()
                refusal = str(why)
                status = 409 if has_answered(survey, voter) else 422
            except sa.exc.IntegrityError:  # the same browser, twice at once
                db.session.rollback()
                refusal, status = (
                    _("This browser has already answered this survey. Thank you."),
                    409,
                )
            else:
                return render_template("feedback/survey_thanks.html", survey=survey, public=True)
    page = render_template(
        "feedback/survey_answer.html",
        survey=survey,
        contractors=contractors,
        ratings=list(Rating),
        refusal=refusal,
        answered=bool(voter) and has_answered(survey, voter),
        stamp=form_stamp(),
        public=True,
    )
    response = make_response(page, status)
    if not voter:
        response.set_cookie(
            VOTER_COOKIE,
            secrets.token_urlsafe(32),
            max_age=400 * 24 * 3600,
            path="/s/",
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response
