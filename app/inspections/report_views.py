"""The inspection report (page and PDF from the same template), photos, lists, reopen."""

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import EDITORS, EVERYONE, SUPERVISORS, role_required
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine
from app.core.extensions import db
from app.core.pdf import pdf_response
from app.core.photos import send_photo
from app.core.timeutil import month_bounds, parse_month
from app.documents.versions import send_version, versions_of
from app.inspections.access import (
    get_inspection,
    get_photo,
    inspector_accounts,
    listed_inspections,
)
from app.inspections.blueprint import bp
from app.inspections.documents import (
    REPORT_SHOWN,
    render_report,
    report_context,
    report_document,
)
from app.inspections.forms import ReopenForm
from app.inspections.models import (
    Answer,
    Finding,
    Inspection,
    InspectionItem,
    Party,
    Schedule,
    Scope,
    Status,
    Tier,
    inspection_contractors,
    inspection_inspectors,
    inspection_service_lines,
)
from app.inspections.recording import reopen
from app.web.bounds import db_int
from app.web.originals import send_original
from app.web.paging import paginate
from app.web.responses import apply, page_or_fragment

PER_PAGE = 20


@bp.get("/inspections/<int:inspection_id>")
@role_required(*EVERYONE)  # contractors: their self-checks only
def report(inspection_id: int):
    inspection = get_inspection(inspection_id, *REPORT_SHOWN)
    return render_template(
        "inspections/report.html",
        reopen_form=ReopenForm(),
        inspection_notices=inspection.notices,
        versions=versions_of("report", inspection.id),
        **report_context(inspection),
    )


@bp.get("/inspections/<int:inspection_id>.pdf")
@role_required(*EVERYONE)  # contractors: their self-checks only
def report_pdf(inspection_id: int):
    """The submitted report as kept (`?version=N` for an earlier one); a draft as it stands."""
    inspection = get_inspection(inspection_id)
    document = report_document(inspection)
    if document is None:
        return pdf_response(render_report(inspection), f"inspection-{inspection.id}-draft.pdf")
    return send_version(
        document, request.args.get("version", type=db_int), f"inspection-{inspection.id}"
    )


@bp.get("/findings/<int:finding_id>")
@role_required(*SUPERVISORS)
def finding(finding_id: int):
    """A finding is shown in the report of the inspection that found it."""
    found = db.session.get(Finding, finding_id) or abort(404)
    get_inspection(found.inspection_id)
    return redirect(
        url_for("inspections.report", inspection_id=found.inspection_id) + f"#finding-{found.id}"
    )


@bp.get("/inspections/photos/<int:photo_id>")
@role_required(*EVERYONE)  # contractors: their self-checks only
def photo(photo_id: int):
    evidence = get_photo(photo_id)
    return send_photo(evidence.shown_digest, thumb=request.args.get("size") == "thumb")


@bp.get("/inspections/photos/<int:photo_id>/original")
@role_required(*SUPERVISORS)
def photo_original(photo_id: int):
    evidence = get_photo(photo_id)
    return send_original(evidence.digest, evidence.original_digest)


@bp.post("/inspections/<int:inspection_id>/reopen")
@role_required(*EDITORS)
def reopen_inspection(inspection_id: int):
    inspection = get_inspection(inspection_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for reopening."), "error")
        return redirect(url_for("inspections.report", inspection_id=inspection.id))
    return apply(
        lambda: reopen(inspection, current_user._get_current_object(), form.reason.data),
        back=url_for("inspections.report", inspection_id=inspection.id),
        success=_("Inspection reopened; its findings are withdrawn until it is submitted again."),
    )


FILTER_ENUMS = {
    "scope": Scope,
    "schedule": Schedule,
    "party": Party,
    "tier": Tier,
    "status": Status,
}


def linked(link: sa.Table, other_id: int):
    """Inspections linked to that contractor, line or inspector, straight from the link table
    (no join through the other table, so the list's date order can drive the plan)."""
    other = next(column for column in link.c if column.name != "inspection_id")
    return Inspection.id.in_(sa.select(link.c.inspection_id).where(other == other_id))


def inspection_query(args, user):
    """Inspections matching the list's filters, newest first; inspectors see their own."""
    query = sa.select(Inspection).order_by(Inspection.started_at.desc(), Inspection.id.desc())
    query = query.where(listed_inspections(user))
    chosen = {}
    for name, enum_cls in FILTER_ENUMS.items():
        value = args.get(name, "")
        if value:
            try:
                chosen[name] = enum_cls(value)
            except ValueError:
                abort(400)
            query = query.where(getattr(Inspection, name) == chosen[name])
    for name, link in (
        ("contractor", inspection_contractors),
        ("line", inspection_service_lines),
        ("inspector", inspection_inspectors),
    ):
        value = args.get(name, type=db_int)
        if value:
            chosen[name] = value
            query = query.where(linked(link, value))
    month = args.get("month", "")
    if month:
        try:
            bounds = month_bounds(parse_month(month))
        except ValueError:
            abort(400)
        chosen["month"] = month
        query = query.where(Inspection.started_at >= bounds[0], Inspection.started_at < bounds[1])
    return query, chosen


def failed_counts(inspection_ids: list[int]) -> dict[int, int]:
    """How many items each of these inspections failed, in one query."""
    return dict(
        db.session.execute(
            sa.select(InspectionItem.inspection_id, sa.func.count())
            .where(
                InspectionItem.inspection_id.in_(inspection_ids),
                InspectionItem.answer == Answer.FAIL,
            )
            .group_by(InspectionItem.inspection_id)
        ).all()
    )


@bp.get("/inspections")
@role_required(*SUPERVISORS)
def inspections():
    query, chosen = inspection_query(request.args, current_user)
    page = paginate(
        query.options(
            selectinload(Inspection.sites),
            selectinload(Inspection.contractors),
            selectinload(Inspection.inspectors),
        ),
        per_page=PER_PAGE,
    )
    template = page_or_fragment("inspections/list.html", "inspections/_list_results.html")
    return render_template(
        template,
        page=page,
        failed=failed_counts([inspection.id for inspection in page.items]),
        chosen=chosen,
        enums=FILTER_ENUMS,
        contractors=db.session.scalars(sa.select(Contractor).order_by(Contractor.name)).all(),
        lines=db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position)).all(),
        inspectors=db.session.scalars(
            sa.select(User).where(inspector_accounts()).order_by(User.display_name)
        ).all(),
    )
