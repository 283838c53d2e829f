"""The month's scores with every point traced, bonus and satisfaction entry, the policy,
the manager's dashboard and the finance office's spreadsheet."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessments import entries
from app.assessments.blueprint import bp
from app.assessments.forms import MAX_RESPONDENTS, BonusForm, SatisfactionForm, policy_form
from app.assessments.history import score_events
from app.assessments.models import BonusEntry, BonusKind
from app.assessments.monthly import assess_month
from app.assessments.spreadsheet import month_workbook
from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.contractors import active_contractors
from app.catalog.models import Contractor, ServiceLine
from app.catalog.rules import assessment_policy
from app.core.extensions import db
from app.core.spreadsheets import xlsx_response
from app.core.timeutil import local_today, month_bounds, month_of, parse_month, utcnow
from app.inspections.models import Inspection, Status
from app.notices.models import Notice, NoticeStatus
from app.plans.tracking import month_figures
from app.web.responses import form_messages, form_shown


def checked_month(month: str) -> str:
    """The month a URL names, or 404 for one that is none or outside the years kept."""
    try:
        return parse_month(month)
    except ValueError:
        abort(404)


def month_so_far(month: str) -> dict[str, int]:
    """The dashboard's counters for a month: inspections done, notices open and overdue."""
    start, end = month_bounds(month)
    open_notices, overdue_notices = db.session.execute(
        sa.select(
            sa.func.count(Notice.id),
            sa.func.count(Notice.id).filter(Notice.overdue_at_time(utcnow())),
        ).where(Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)))
    ).one()
    return {
        "inspections": db.session.scalar(
            sa.select(sa.func.count(Inspection.id)).where(
                Inspection.status == Status.SUBMITTED,
                Inspection.started_at >= start,
                Inspection.started_at < end,
            )
        ),
        "plans": month_figures(month, local_today()),
        "open_notices": open_notices,
        "overdue_notices": overdue_notices,
    }


@bp.get("/assessments")
@role_required(*SUPERVISORS)
def dashboard():
    return redirect(url_for("assessments.month", month=month_of(utcnow())))


@bp.get("/assessments/<month>")
@role_required(*SUPERVISORS)
def month(month: str):
    month = checked_month(month)
    results = assess_month(month)
    contractors = active_contractors()
    lines = {line.id: line for line in db.session.scalars(sa.select(ServiceLine))}
    return render_template(
        "assessments/month.html",
        month=month,
        results=results,
        lines=lines,
        counters=month_so_far(month),
        contractors=contractors,
        kinds=list(BonusKind),
        is_current=month == month_of(utcnow()),
        max_respondents=MAX_RESPONDENTS,
        policy=assessment_policy(),
        bonuses=db.session.scalars(
            sa.select(BonusEntry).where(BonusEntry.month == month).order_by(BonusEntry.id)
        ).all(),
    )


def _month_page(month: str, anchor: str):
    return redirect(url_for("assessments.month", month=month) + anchor)


def _flash_refusal(form) -> None:
    for message in form_messages(form):
        flash(message, "error")


@bp.post("/assessments/<month>/bonus")
@role_required(*EDITORS)
def add_bonus(month: str):
    month = checked_month(month)
    form = BonusForm()
    if not form.validate_on_submit():
        _flash_refusal(form)
        return _month_page(month, "#bonus")
    entries.add_bonus(
        month,
        form.contractor,
        form.line,
        form.kind_given,
        form.points_given,
        form.reason_given,
        current_user,
    )
    flash(_("Bonus recorded."), "success")
    return _month_page(month, "#bonus")


@bp.post("/assessments/<month>/satisfaction")
@role_required(*EDITORS)
def enter_satisfaction(month: str):
    month = checked_month(month)
    form = SatisfactionForm()
    if not form.validate_on_submit():
        _flash_refusal(form)
        return _month_page(month, "#satisfaction")
    entries.set_satisfaction(
        month, form.contractor, form.rate_given, form.respondents_given, current_user
    )
    flash(_("Satisfaction saved."), "success")
    return _month_page(month, "#satisfaction")


@bp.get("/assessments/<month>.xlsx")
@role_required(*EDITORS)
def export(month: str):
    month = checked_month(month)
    return xlsx_response(month_workbook(month), f"xunjian-{month}.xlsx")


@bp.route("/assessments/policy", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_policy():
    current = assessment_policy()
    form = policy_form(current)
    if form.validate_on_submit():
        entries.save_policy(current, form)
        flash(_("Assessment rules saved."), "success")
        return redirect(url_for("assessments.edit_policy"))
    return form_shown("assessments/policy.html", form=form, errors=form_messages(form))


@bp.get("/assessments/<month>/contractors/<int:contractor_id>")
@role_required(*SUPERVISORS)
def score_history(month: str, contractor_id: int):
    """How a contractor's month came to its score: what deducted and added, and every change
    anyone made to what counts (bonuses, satisfaction, the rules), oldest first."""
    month = checked_month(month)
    contractor = db.session.get(Contractor, contractor_id) or abort(404)
    result = next((r for r in assess_month(month) if r.contractor.id == contractor.id), None)
    lines = {line.id: line for line in db.session.scalars(sa.select(ServiceLine))}
    return render_template(
        "assessments/history.html",
        month=month,
        contractor=contractor,
        result=result,
        lines=lines,
        history=score_events(contractor.id, month),
    )
