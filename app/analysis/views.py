"""Finding the patterns (寻找规律): /analysis, its workbook, the findings behind a figure, and
the quality-analysis meeting packs."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from app.analysis.access import sees_inspectors
from app.analysis.blueprint import bp
from app.analysis.charts import columns_chart
from app.analysis.figures import SEVERITIES, figures_for, inspectors_by_plan, planned_visits
from app.analysis.forms import MeetingForm
from app.analysis.meetings import keep_meeting
from app.analysis.models import AnalysisMeeting
from app.analysis.selection import INSPECTION_FILTERS, PERIODS, findings_in, selection_from
from app.auth.access import EDITORS, EVERYONE, SUPERVISORS, role_required
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Severity, Site
from app.core.extensions import db
from app.core.files import Kind, send_stored
from app.core.pdf import render_pdf
from app.core.spreadsheets import append_row, xlsx_response
from app.inspections.models import Finding
from app.inspections.repeats import repeating
from app.notices.models import Notice, NoticeItem, NoticeStatus
from app.plans.models import VisitState
from app.web.bounds import db_int
from app.web.paging import paginate
from app.web.responses import apply, form_messages

PER_PAGE = 30


def _choices(selection, sites: list[Site]):
    return {
        "periods": PERIODS,
        "enums": INSPECTION_FILTERS,
        "lines": db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position)).all(),
        "contractors": (
            []
            if selection.contractor_locked
            else db.session.scalars(sa.select(Contractor).order_by(Contractor.name)).all()
        ),
        "sites": sorted(sites, key=lambda s: s.path),
    }


def figures_context(selection, sites: list[Site] | None = None) -> dict:
    """What the figures' template needs: the page and the meeting pack's PDF use it alike
    (`sites`: every place, when the caller has read them already)."""
    figures = figures_for(selection, sees_inspectors(current_user), sites)
    return {
        "selection": selection,
        "figures": figures,
        "columns": columns_chart(figures.buckets),
        "severities": SEVERITIES,
        "severity_labels": {s.value: s.label for s in Severity},
        "place": db.session.get(Site, selection.site_id) if selection.site_id else None,
    }


@bp.get("/analysis")
@role_required(*EVERYONE)
def analysis():
    selection = selection_from(request.args, current_user)
    sites = db.session.scalars(sa.select(Site)).all()
    return render_template(
        "analysis/analysis.html",
        meeting_form=MeetingForm(),
        **figures_context(selection, sites),
        **_choices(selection, sites),
    )


@bp.post("/analysis/meetings")
@role_required(*EDITORS)
def new_meeting():
    """Keep the analysis on screen as a meeting pack, with the measures agreed."""
    selection = selection_from(request.args, current_user)
    form = MeetingForm()
    if not form.validate_on_submit():
        for message in form_messages(form):
            flash(message, "error")
        return redirect(url_for("analysis.analysis", **selection.args()))
    context = figures_context(selection)

    def render(meeting):
        return render_pdf("analysis/meeting_pdf.html", meeting=meeting, **context)

    me = current_user._get_current_object()
    return apply(
        lambda: keep_meeting(selection, form.held_on.data, form.measures.data, me, render),
        back=url_for("analysis.analysis", **selection.args()),
        success=_("Meeting pack kept."),
        done=url_for("analysis.meetings"),
    )


@bp.get("/analysis/meetings")
@role_required(*SUPERVISORS)
def meetings():
    kept = db.session.scalars(
        sa.select(AnalysisMeeting).order_by(
            AnalysisMeeting.held_on.desc(), AnalysisMeeting.id.desc()
        )
    ).all()
    return render_template("analysis/meetings.html", meetings=kept)


@bp.get("/analysis/meetings/<int:meeting_id>.pdf")
@role_required(*SUPERVISORS)
def meeting_pdf(meeting_id: int):
    meeting = db.session.get(AnalysisMeeting, meeting_id) or abort(404)
    return send_stored(
        Kind.MEETING_PACK, meeting.pdf_digest, "application/pdf", f"meeting-{meeting.held_on}.pdf"
    )


@bp.get("/analysis.xlsx")
@role_required(*EVERYONE)
def analysis_workbook():
    selection = selection_from(request.args, current_user)
    figures = figures_context(selection)["figures"]
    labels = {s.value: str(s.label) for s in Severity}
    book = Workbook()
    sheet = book.active
    sheet.title = _("Over time")
    append_row(sheet, [_("Period"), *(labels[s] for s in SEVERITIES), _("Findings")])
    for bucket in figures.buckets:
        row = [bucket.label, *(bucket.counts.get(s, 0) for s in SEVERITIES), bucket.total]
        append_row(sheet, row)
    sheet = book.create_sheet(_("Service lines"))
    append_row(sheet, [_("Service line"), *(labels[s] for s in SEVERITIES), _("Findings")])
    for line, counts in figures.by_line.items():
        row = [line, *(counts.get(s, 0) for s in SEVERITIES), sum(counts.values())]
        append_row(sheet, row)
    sheet = book.create_sheet(_("Check points"))
    append_row(sheet, [_("Check point"), _("Findings")])
    for _point_id, title, count in figures.top_points:
        append_row(sheet, [title, count])
    sheet = book.create_sheet(_("Places"))
    append_row(sheet, [_("Place"), _("Findings")])
    for place in figures.places:
        append_row(sheet, [place.site.path, place.findings])
    sheet = book.create_sheet(_("Contractors"))
    append_row(
        sheet,
        [
            _("Contractor"),
            _("Findings"),
            _("Repeat findings"),
            _("On notices"),
            _("Fixed on time (per cent)"),
            _("Median hours to fix"),
            _("Overdue notices"),
        ],
    )
    for figure in figures.contractors:
        append_row(
            sheet,
            [
                figure.contractor.name,
                figure.findings,
                figure.repeats,
                figure.items,
                figure.on_time_rate,
                figure.median_hours,
                figure.overdue_notices,
            ],
        )
    if figures.inspectors:
        sheet = book.create_sheet(_("Inspectors"))
        append_row(sheet, [_("Inspector"), _("Planned"), _("Done"), _("Missed")])
        for figure in figures.inspectors:
            row = [figure.inspector.display_name, figure.planned, figure.done, figure.missed]
            append_row(sheet, row)
    return xlsx_response(book, f"xunjian-analysis-{selection.first}-{selection.last}.xlsx")


@bp.get("/analysis/findings")
@role_required(*EVERYONE)
def findings():
    """The findings behind a figure: the selection, narrowed to a check point, a severity or
    the repeats."""
    selection = selection_from(request.args, current_user)
    query = findings_in(selection, Finding).order_by(Finding.found_at.desc(), Finding.id.desc())
    point = request.args.get("point", type=db_int)
    if point:
        query = query.where(Finding.check_point_id == point)
    if request.args.get("repeats"):
        ids = findings_in(selection, Finding.id)
        repeats = repeating(ids, selection.start, selection.end).subquery()
        query = query.where(Finding.id.in_(sa.select(repeats.c.id)))
    severity = request.args.get("severity", "")
    if severity:
        if severity not in SEVERITIES:
            abort(400)
        query = query.where(Finding.severity == Severity(severity))
    page = paginate(
        query.options(selectinload(Finding.site), selectinload(Finding.contractor)),
        per_page=PER_PAGE,
    )
    notices = dict(
        db.session.execute(
            sa.select(NoticeItem.finding_id, NoticeItem.notice_id)
            .join(Notice, NoticeItem.notice_id == Notice.id)
            .where(
                NoticeItem.finding_id.in_([f.id for f in page.items]),
                Notice.status != NoticeStatus.DRAFT,
            )
        ).all()
    )
    return render_template(
        "analysis/findings.html",
        selection=selection,
        page=page,
        notices=notices,
        point=point,
        severity=severity,
    )


@bp.get("/analysis/visits")
@role_required(*SUPERVISORS)
def visits():
    """The planned visits behind an inspector's figures: all, done or missed."""
    selection = selection_from(request.args, current_user)
    inspector_id = request.args.get("inspector", type=db_int)
    try:
        state = VisitState(request.args["state"]) if request.args.get("state") else None
    except ValueError:
        abort(400)
    visits = planned_visits(selection)
    by_plan = inspectors_by_plan(visits)
    shown = [
        visit
        for visit in visits
        if (state is None or visit.state == state)
        and (inspector_id is None or any(i.id == inspector_id for i in by_plan[visit.plan.id]))
    ]
    return render_template(
        "analysis/visits.html",
        selection=selection,
        visits=shown,
        state=state,
        inspector=db.session.get(User, inspector_id) if inspector_id else None,
    )
