"""The month's scores with every point traced, bonus and satisfaction entry, the policy,
the manager's dashboard and the finance office's spreadsheet."""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from app.assessments.blueprint import bp
from app.assessments.forms import apply_policy_form, policy_form
from app.assessments.history import (
    policy_changes,
    policy_summary,
    record_score_change,
    score_events,
)
from app.assessments.models import BonusEntry, BonusKind, SatisfactionEntry
from app.assessments.monthly import assess_month
from app.assessments.reconciliation import score_rows
from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.models import Contractor, ServiceLine, Severity
from app.catalog.rules import assessment_policy
from app.core.audit import record_event
from app.core.extensions import db
from app.core.spreadsheets import append_row, xlsx_response
from app.core.timeutil import local_today, month_bounds, month_of, parse_month, utcnow
from app.inspections.models import Inspection, Status
from app.notices.models import Notice, NoticeStatus
from app.plans.tracking import month_figures
from app.web.bounds import db_int
from app.web.responses import form_messages, form_shown

MAX_RESPONDENTS = 100_000  # a questionnaire of the largest campus, with room to spare


def checked_month(month: str) -> str:
    """The month a URL names, or 404 for one that is none or outside the years kept."""
    try:
        return parse_month(month)
    except ValueError:
        abort(404)


def month_so_far(month: str) -> dict[str, int]:
    """The dashboard's counters for a month: inspections done, notices open and overdue."""
    start, end = month_bounds(month)
    now = utcnow()
    open_notices = db.session.scalars(
        sa.select(Notice)
        .where(Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)))
        .options(selectinload(Notice.items))
    ).all()
    return {
        "inspections": db.session.scalar(
            sa.select(sa.func.count(Inspection.id)).where(
                Inspection.status == Status.SUBMITTED,
                Inspection.started_at >= start,
                Inspection.started_at < end,
            )
        ),
        "plans": month_figures(month, local_today()),
        "open_notices": len(open_notices),
        "overdue_notices": sum(1 for n in open_notices if n.is_overdue(now)),
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
    contractors = db.session.scalars(
        sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    ).all()
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


def _named(model, text: str):
    """The record a form field names by its id, or None."""
    try:
        return db.session.get(model, db_int(text))
    except ValueError:
        return None


def _decimal(name: str, low: Decimal, high: Decimal) -> Decimal | None:
    try:
        value = Decimal(request.form.get(name, "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and low <= value <= high else None


@bp.post("/assessments/<month>/bonus")
@role_required(*EDITORS)
def add_bonus(month: str):
    month = checked_month(month)
    contractor_id, _sep, line_id = request.form.get("contractor_line", "").partition(":")
    contractor, line = _named(Contractor, contractor_id), _named(ServiceLine, line_id)
    points = _decimal("points", Decimal("0.1"), Decimal("20"))
    reason = request.form.get("reason", "").strip()
    try:
        kind = BonusKind(request.form.get("kind", ""))
    except ValueError:
        kind = None
    if not (
        contractor and line and line in contractor.service_lines and points and reason and kind
    ):
        flash(
            _(
                "A bonus needs a contractor, one of its lines, the kind, 0.1 to 20 points "
                "and a reason."
            ),
            "error",
        )
    else:
        bonus = BonusEntry(
            month=month,
            contractor=contractor,
            service_line=line,
            kind=kind,
            points=points.quantize(Decimal("0.1")),
            reason=reason[:2000],
            created_by_id=current_user.id,
        )
        db.session.add(bonus)
        record_score_change(
            "bonus_added",
            contractor.id,
            month,
            detail=f"+{bonus.points} · {line.name} · {kind.label} · {bonus.reason}",
        )
        db.session.commit()
        flash(_("Bonus recorded."), "success")
    return redirect(url_for("assessments.month", month=month) + "#bonus")


@bp.post("/assessments/<month>/satisfaction")
@role_required(*EDITORS)
def enter_satisfaction(month: str):
    month = checked_month(month)
    contractor = _named(Contractor, request.form.get("contractor_id", ""))
    rate = _decimal("rate", Decimal(0), Decimal(100))
    respondents = request.form.get("respondents", type=int)
    if respondents is None or not 0 <= respondents <= MAX_RESPONDENTS:
        flash(
            _(
                "The number of respondents must be a whole number from 0 to %(max)d.",
                max=MAX_RESPONDENTS,
            ),
            "error",
        )
    elif contractor is None or rate is None:
        flash(_("Enter a rate from 0 to 100 and the number of respondents."), "error")
    else:
        entry = db.session.scalar(
            sa.select(SatisfactionEntry).where(
                SatisfactionEntry.month == month, SatisfactionEntry.contractor_id == contractor.id
            )
        )
        if entry is None:
            entry = SatisfactionEntry(month=month, contractor_id=contractor.id)
            db.session.add(entry)
        record_score_change(
            "satisfaction_set",
            contractor.id,
            month,
            from_state=f"{entry.rate}%" if entry.rate is not None else None,
            to_state=f"{rate.quantize(Decimal('0.01'))}%",
            detail=_("%(n)s respondents", n=respondents),
        )
        entry.rate = rate.quantize(Decimal("0.01"))
        entry.respondents = respondents
        entry.entered_by_id = current_user.id
        db.session.commit()
        flash(_("Satisfaction saved."), "success")
    return redirect(url_for("assessments.month", month=month) + "#satisfaction")


@bp.get("/assessments/<month>.xlsx")
@role_required(*EDITORS)
def export(month: str):
    month = checked_month(month)
    results = assess_month(month)
    lines = {line.id: line.name for line in db.session.scalars(sa.select(ServiceLine))}
    workbook = Workbook(write_only=True)  # rows streamed to the file, not kept and sorted
    scores = workbook.create_sheet("考核得分")
    append_row(
        scores,
        [
            "排名",
            "承包单位",
            "服务项目",
            "得分",
            "扣分",
            "加分",
            "综合得分",
            "满意率",
            "保证金奖惩（元）",
        ],
    )
    for r in results:
        for line in r.lines:
            append_row(
                scores,
                [
                    r.rank,
                    r.contractor.name,
                    lines[line.service_line_id],
                    float(line.score),
                    float(line.deducted),
                    float(line.bonus),
                    float(r.overall),
                    float(r.satisfaction) if r.satisfaction else None,
                    float(r.money),
                ],
            )
    itemised = workbook.create_sheet("扣分加分明细")
    append_row(
        itemised,
        ["承包单位", "服务项目", "来源", "记录", "原始分值", "权重", "计入分值", "该项得分"],
    )
    for r in results:
        for line in r.lines:
            for row in score_rows(line, assessment_policy().bonus_cap):
                append_row(itemised, [r.contractor.name, lines[line.service_line_id], *row])
    findings = workbook.create_sheet("问题清单")
    append_row(findings, ["发现时间", "承包单位", "检查点", "严重程度", "扣分", "说明", "检查"])
    severities = {severity: severity.label for severity in Severity}  # translated once, not per row
    for r in results:
        for f in r.findings:
            append_row(
                findings,
                [
                    f.found_at.strftime("%Y-%m-%d %H:%M"),
                    r.contractor.name,
                    f.title,
                    severities[f.severity],
                    float(f.deduction),
                    f.note,
                    f.inspection_id,
                ],
            )
    start, end = month_bounds(month)
    notices = workbook.create_sheet("整改通知")
    statuses = {status: status.label for status in NoticeStatus}
    append_row(notices, ["编号", "承包单位", "状态", "签发时间", "问题数", "是否逾期"])
    for n in db.session.scalars(
        sa.select(Notice)
        .where(Notice.issued_at >= start, Notice.issued_at < end)
        .options(selectinload(Notice.items), selectinload(Notice.contractor))
        .order_by(Notice.serial)
    ):
        append_row(
            notices,
            [
                n.number,
                n.contractor.name,
                statuses[n.status],
                n.issued_at.strftime("%Y-%m-%d %H:%M"),
                len(n.items),
                "是" if n.overdue_at else "否",
            ],
        )
    return xlsx_response(workbook, f"xunjian-{month}.xlsx")


@bp.route("/assessments/policy", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_policy():
    current = assessment_policy()
    form = policy_form(current)
    if form.validate_on_submit():
        before = policy_summary(current)
        apply_policy_form(form, current)
        record_event(
            "policy_saved",
            object_type="assessment_policy",
            from_state=None,
            detail=policy_changes(before, policy_summary(current)),
        )
        db.session.merge(current)
        db.session.commit()
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
