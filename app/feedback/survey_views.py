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
from app.core.extensions import db
from app.core.pdf import pdf_response, render_pdf
from app.core.qrcodes import qr_svg
from app.core.refusals import Refused
from app.core.timeutil import local_today
from app.feedback.access import can_edit_surveys, get_survey
from app.feedback.blueprint import bp
from app.feedback.forms import (
    ApplyForm,
    SurveyAccessForm,
    SurveyCardsForm,
    SurveyForm,
    survey_answer_form,
)
from app.feedback.models import Rating, Survey
from app.feedback.surveys import (
    MAX_CARDS,
    card_for,
    has_answered,
    issue_cards,
    keep_answer,
    normalise_card,
    open_survey,
    quarter_months,
    results,
    set_access,
)
from app.web.guard import form_stamp, looks_automated, over_limit
from app.web.responses import form_shown

VOTER_COOKIE = "xj_voter"
ANSWERS_PER_ADDRESS = 60  # an office's staff may share one address
ANSWER_WINDOW = timedelta(hours=1)


@bp.get("/surveys")
@role_required(*SUPERVISORS)
def surveys():
    rows = db.session.scalars(sa.select(Survey).order_by(Survey.opens_on.desc())).all()
    return render_template(
        "feedback/surveys.html",
        surveys=rows,
        today=local_today(),
        can_edit=can_edit_surveys(current_user),
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_survey():
    form = SurveyForm()
    if form.validate_on_submit():
        survey = open_survey(
            current_user._get_current_object(),
            form.title.data,
            form.quarter.data,
            form.opens_on.data,
            form.closes_on.data,
        )
        return redirect(url_for("feedback.survey", survey_id=survey.id))
    return form_shown(
        "form_page.html",
        form=form,
        title=_("New satisfaction survey"),
        cancel_url=url_for("feedback.surveys"),
    )


@bp.get("/surveys/<int:survey_id>")
@role_required(*SUPERVISORS)
def survey(survey_id: int):
    survey = get_survey(survey_id)
    link = url_for("feedback.answer_survey", slug=survey.slug, _external=True)
    form = ApplyForm()
    form.month.choices = [(m, m) for m in quarter_months(survey.quarter)]
    form.month.data = survey.applied_month or quarter_months(survey.quarter)[-1]
    access = SurveyAccessForm(cards_only="yes" if survey.cards_only else "no")
    return render_template(
        "feedback/survey.html",
        survey=survey,
        results=results(survey),
        link=link,
        qr=qr_svg(link),
        form=form,
        access=access,
        cards_form=SurveyCardsForm(),
        cards_used=sum(1 for card in survey.cards if card.used),
        today=local_today(),
        can_edit=can_edit_surveys(current_user),
    )


@bp.post("/surveys/<int:survey_id>/access")
@role_required(*EDITORS)
def survey_access(survey_id: int):
    survey = get_survey(survey_id)
    form = SurveyAccessForm()
    if not form.validate_on_submit():
        abort(400)
    set_access(survey, cards_only=form.cards_only.data == "yes")
    flash(_("Saved who may answer."), "success")
    return redirect(url_for("feedback.survey", survey_id=survey.id) + "#access")


@bp.post("/surveys/<int:survey_id>/cards")
@role_required(*EDITORS)
def print_cards(survey_id: int):
    """Issue answer cards and hand back their only printing: a PDF sheet with each card's
    code and its QR code."""
    survey = get_survey(survey_id)
    form = SurveyCardsForm()
    if not form.validate_on_submit():
        flash(_("Give a number of cards from 1 to %(n)s.", n=MAX_CARDS), "error")
        return redirect(url_for("feedback.survey", survey_id=survey.id) + "#access")
    codes = issue_cards(survey, form.count.data)
    cards = []
    for code in codes:
        link = url_for("feedback.answer_survey", slug=survey.slug, card=code, _external=True)
        cards.append((f"{code[:5]}-{code[5:]}", qr_svg(link, scale=3)))
    pdf = render_pdf("feedback/survey_cards_pdf.html", survey=survey, cards=cards)
    return pdf_response(pdf, f"survey-{survey.id}-cards.pdf")


@bp.route("/s/<slug>", methods=["GET", "POST"])
def answer_survey(slug: str):
    """The public questionnaire: no login, one answer per browser, rate-limited per address."""
    survey = db.session.scalar(sa.select(Survey).where(Survey.slug == slug)) or abort(404)
    if not survey.is_open(local_today()):
        return render_template("feedback/survey_closed.html", survey=survey, public=True), 410
    voter = request.cookies.get(VOTER_COOKIE, "")
    card_code = normalise_card(request.values.get("card", ""))
    card = card_for(survey, card_code) if survey.cards_only and card_code else None
    contractors = db.session.scalars(
        sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    ).all()
    refusal, status = None, 200
    if request.method == "POST":
        refused = _take_answer(survey, voter, card_code, contractors)
        if refused is None:
            return render_template("feedback/survey_thanks.html", survey=survey, public=True)
        refusal, status = refused
    page = render_template(
        "feedback/survey_answer.html",
        survey=survey,
        contractors=contractors,
        ratings=list(Rating),
        refusal=refusal,
        answered=_answered(survey, voter, card_code),
        card_code=card_code,
        card_known=card is not None,
        stamp=form_stamp(),
        public=True,
    )
    response = make_response(page, status)
    if not voter and not survey.cards_only:
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


def _take_answer(survey: Survey, voter: str, card_code: str, contractors) -> tuple | None:
    """Record the posted answer; None when it is kept, else (why not, the status to answer)."""
    form = survey_answer_form(contractors)
    ratings = {}
    for contractor in contractors:
        try:
            ratings[contractor.id] = Rating(form[f"rating-{contractor.id}"].data or "")
        except ValueError:
            pass  # left unrated: the person does not know this service
    if looks_automated(form.stamp.data or "", form.website.data or ""):
        return _("This form could not be accepted. Please fill it in again."), 422
    if not voter and not survey.cards_only:
        return _(
            "Your browser must accept cookies to answer: they keep one answer per person."
        ), 422
    if over_limit("survey", ANSWERS_PER_ADDRESS, ANSWER_WINDOW):
        return _("Too many answers from this network just now. Please try later."), 429
    try:
        keep_answer(survey, voter, ratings, form.comment.data or "", card_code)
    except Refused as why:
        return str(why), 409 if _answered(survey, voter, card_code) else 422
    except sa.exc.IntegrityError:  # the same browser or card, twice at once
        if survey.cards_only:
            return _("This answer card has already been used. Thank you."), 409
        return _("This browser has already answered this survey. Thank you."), 409
    return None


def _answered(survey: Survey, voter: str, card_code: str) -> bool:
    """Has this browser (or, on a cards-only survey, this card) answered already?"""
    if survey.cards_only:
        card = card_for(survey, card_code)
        return card is not None and card.used
    return bool(voter) and has_answered(survey, voter)
