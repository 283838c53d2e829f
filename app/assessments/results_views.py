"""The published results (公布考核结果): managers turn the page on or off and hand out, print
or replace its link; the compound's staff open it without an account, rate-limited per
address like the other public pages."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessments.access import check_results_link
from app.assessments.blueprint import bp
from app.assessments.forms import ResultsPageForm
from app.assessments.models import ResultsPage
from app.assessments.results_page import (
    published_results,
    replace_results_link,
    results_page,
    switch_results_page,
)
from app.auth.access import EDITORS, role_required
from app.core.extensions import db
from app.core.pdf import pdf_response, render_pdf
from app.core.qrcodes import qr_svg
from app.web.guard import note_submission, over_limit

VIEWS_PER_ADDRESS = 120  # the staff of a whole building may reach us from one address
VIEW_WINDOW = timedelta(minutes=10)


def _link(page: ResultsPage) -> str:
    return url_for("assessments.public_results", token=page.token, _external=True)


@bp.get("/assessments/results-page")
@role_required(*EDITORS)
def results_settings():
    page = results_page()
    link = _link(page) if page else None
    return render_template(
        "assessments/results_settings.html",
        page=page,
        link=link,
        qr=qr_svg(link) if link else None,
        form=ResultsPageForm(),
    )


@bp.post("/assessments/results-page")
@role_required(*EDITORS)
def change_results_page():
    form = ResultsPageForm()
    if not form.validate_on_submit():
        abort(400)
    by = current_user._get_current_object()
    if form.action.data == "replace":
        replace_results_link(by)
        flash(
            _("New link made: the old link and the QR codes printed from it no longer work."),
            "success",
        )
    elif form.action.data == "on":
        switch_results_page(True, by)
        flash(_("The results page is on: hand out its link or QR code."), "success")
    else:
        switch_results_page(False, by)
        flash(_("The results page is off: its link opens nothing."), "success")
    return redirect(url_for("assessments.results_settings"))


@bp.get("/assessments/results-page.pdf")
@role_required(*EDITORS)
def results_poster():
    """A page to print and put up: the link's QR code, large."""
    page = results_page() or abort(404)
    link = _link(page)
    pdf = render_pdf("assessments/results_poster_pdf.html", link=link, qr=qr_svg(link, scale=8))
    return pdf_response(pdf, "results-page.pdf")


@bp.get("/results/<token>")
def public_results(token: str):
    """Each published month's ranking and measures, for whoever holds the current link."""
    if over_limit("results", VIEWS_PER_ADDRESS, VIEW_WINDOW):
        busy = _("Too many visits from this network just now. Please try again later.")
        return render_template("assessments/public_results.html", refusal=busy), 429
    note_submission("results")  # wrong links count too: no one guesses links from one address
    db.session.commit()
    check_results_link(token)
    response = render_template("assessments/public_results.html", months=published_results())
    return response, 200, {"X-Robots-Tag": "noindex, nofollow"}
