"""Notice pages: drafting, issuing, the contractor's side, verification, the PDF."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.auth.access import (
    CONTRACTORS,
    EDITORS,
    EVERYONE,
    SUPERVISORS,
    role_required,
)
from app.catalog.models import Contractor, ServiceLine, Severity
from app.core.extensions import db
from app.core.files import Kind, send_stored
from app.core.pdf import pdf_response
from app.core.photos import send_photo, signature_from_data_url
from app.core.refusals import require
from app.core.timeutil import FIRST_YEAR, LOCAL_TZ, utcnow
from app.documents.ofd import send_ofd
from app.documents.versions import send_version, versions_of
from app.inspections.access import get_inspection
from app.inspections.models import Finding, InspectionPhoto
from app.notices.access import (
    chooses_contractor,
    get_fix_photo,
    get_notice,
    get_notice_item,
    sees_drafts,
    visible_notices,
)
from app.notices.blueprint import bp
from app.notices.deadlines import ensure_default_rules, notice_policy
from app.notices.documents import (
    NOTICE_SHOWN,
    keep_documents,
    notice_context,
    notice_document,
    render_notice,
)
from app.notices.forms import (
    UNSIGNED_WAYS,
    AcknowledgeForm,
    AddFindingForm,
    DeadlineForm,
    FixForm,
    UnsignedServiceForm,
    VerifyForm,
    deadline_rules_form,
    hours_field_name,
)
from app.notices.lifecycle import (
    accept_fix,
    acknowledge,
    add_finding,
    draft_notices,
    findings_without_notice,
    issue,
    note_first_opening,
    record_unsigned_service,
    reject_fix,
    remove_item,
    report_fix,
    set_deadline,
)
from app.notices.models import Notice, NoticeStatus, ReceiptWay
from app.notices.rules import rules_by_key, save_deadline_rules
from app.web.bounds import db_int
from app.web.originals import send_original, unmarked_originals
from app.web.paging import paginate
from app.web.replays import once_per_client_uuid
from app.web.responses import apply, form_shown, page_or_fragment

PER_PAGE = 20


def _me():
    return current_user._get_current_object()


def _back(notice, anchor=""):
    return redirect(url_for("notices.notice", notice_id=notice.id) + anchor)


def _in_local_zone(value: datetime) -> datetime:
    """A datetime-local field is wall time in the bureau's zone: say so. A time before the
    years kept is long past, and refused as such: midnight of year 1 has no UTC date."""
    require(value.year >= FIRST_YEAR, _("The deadline must be in the future."))
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC)  # stored as UTC, as every time is


def _run(notice, change, success, anchor=""):
    """Apply a lifecycle change, keep a new version of each document it changed (the notice,
    an exit warning it raised) and come back to the notice."""

    def change_and_keep():
        result = change()
        keep_documents(notice, result)
        return result

    return apply(change_and_keep, url_for("notices.notice", notice_id=notice.id) + anchor, success)


@bp.post("/inspections/<int:inspection_id>/notices")
@role_required(*SUPERVISORS)
def draft_from_inspection(inspection_id: int):
    inspection = get_inspection(inspection_id)
    report = url_for("inspections.report", inspection_id=inspection.id)

    def where_to_review(drafts):
        if not drafts:
            flash(_("Every finding of this inspection is on a notice already."), "warning")
            return report
        flash(_("%(n)d draft notices made; review and issue them.", n=len(drafts)), "success")
        if len(drafts) == 1:
            return url_for("notices.notice", notice_id=drafts[0].id)
        return url_for("notices.notices", status="draft")

    return apply(lambda: draft_notices(inspection, _me()), back=report, done=where_to_review)


STATUS_FILTERS = ("open", "overdue", "draft", "closed", "all")


def notice_query(user, status: str, contractor_id: int | None):
    query = (
        sa.select(Notice)
        .where(visible_notices(user))
        .options(selectinload(Notice.items), joinedload(Notice.contractor))
        .order_by(Notice.issued_at.desc().nulls_first(), Notice.id.desc())
    )
    if contractor_id and chooses_contractor(user):
        query = query.where(Notice.contractor_id == contractor_id)
    if status in ("open", "overdue"):
        query = query.where(Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)))
    elif status == "draft":
        query = query.where(Notice.status == NoticeStatus.DRAFT)
    elif status == "closed":
        query = query.where(Notice.status == NoticeStatus.CLOSED)
    return query


@bp.get("/notices")
@role_required(*EVERYONE)
def notices():
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS or (status == "draft" and not sees_drafts(current_user)):
        abort(404)
    contractor_id = request.args.get("contractor", type=db_int)
    query = notice_query(current_user, status, contractor_id)
    now = utcnow()
    if status == "overdue":
        query = query.where(Notice.overdue_at_time(now))
    page = paginate(query, per_page=PER_PAGE)
    contractors = (
        db.session.scalars(sa.select(Contractor).order_by(Contractor.name)).all()
        if chooses_contractor(current_user)
        else []
    )
    return render_template(
        page_or_fragment("notices/list.html", "notices/_list_results.html"),
        notices=page.items,
        page=page,
        status=status,
        filters=STATUS_FILTERS,
        now=now,
        contractors=contractors,
        contractor_id=contractor_id,
    )


@bp.get("/notices/<int:notice_id>")
@role_required(*EVERYONE)
def notice(notice_id: int):
    notice = get_notice(notice_id, *NOTICE_SHOWN)
    deadline_form = DeadlineForm()
    if request.method == "GET" and notice.status == NoticeStatus.DRAFT:
        deadline_form.deadline.data = notice.deadline.astimezone(LOCAL_TZ).replace(tzinfo=None)
    addable = (
        findings_without_notice(notice.contractor_id)
        if notice.status == NoticeStatus.DRAFT and sees_drafts(current_user)
        else []
    )
    note_first_opening(notice, current_user._get_current_object())
    return render_template(
        "notices/detail.html",
        deadline_form=deadline_form,
        fix_form=FixForm(),
        acknowledge_form=AcknowledgeForm(),
        service_form=UnsignedServiceForm(),
        service_ways=UNSIGNED_WAYS,
        verify_form=VerifyForm(),
        addable=addable,
        versions=versions_of("notice", notice.id),
        **notice_context(notice),
    )


@bp.get("/notices/<int:notice_id>.pdf")
@role_required(*EVERYONE)
def notice_pdf(notice_id: int):
    """The issued notice as kept (`?version=N` for an earlier one); a draft as it stands."""
    notice = get_notice(notice_id)
    document = notice_document(notice)
    if document is None:
        return pdf_response(render_notice(notice), f"notice-{notice.id}-draft.pdf")
    return send_version(document, request.args.get("version", type=db_int), f"notice-{notice.id}")


@bp.get("/notices/<int:notice_id>.ofd")
@role_required(*EVERYONE)
def notice_ofd(notice_id: int):
    """The issued notice as OFD, made from the PDF of the same version; a draft has none."""
    notice = get_notice(notice_id)
    document = notice_document(notice) or abort(404)
    return send_ofd(document, request.args.get("version", type=db_int), f"notice-{notice.id}")


@bp.get("/notices/<int:notice_id>/evidence/<int:photo_id>")
@role_required(*EVERYONE)
def evidence(notice_id: int, photo_id: int):
    """A finding's inspection photo, shown to whoever may see the notice it is on."""
    notice = get_notice(notice_id)
    photo = db.session.get(InspectionPhoto, photo_id) or abort(404)
    if not any(photo.item_id == item.finding.item_id for item in notice.items):
        abort(404)
    return send_photo(photo.shown_digest, thumb=request.args.get("size") == "thumb")


@bp.get("/notices/fix-photos/<int:photo_id>/original")
@role_required(*SUPERVISORS)
def fix_photo_original(photo_id: int):
    photo = get_fix_photo(photo_id)
    return send_original(photo.digest, photo.original_digest)


@bp.get("/notices/fix-photos/<int:photo_id>")
@role_required(*EVERYONE)
def fix_photo(photo_id: int):
    photo = get_fix_photo(photo_id)
    return send_photo(photo.shown_digest, thumb=request.args.get("size") == "thumb")


@bp.post("/notices/<int:notice_id>/deadline")
@role_required(*SUPERVISORS)
def change_deadline(notice_id: int):
    notice = get_notice(notice_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        flash(_("Give a new deadline and the reason for it."), "error")
        return _back(notice)
    return _run(
        notice,
        lambda: set_deadline(notice, _in_local_zone(form.deadline.data), form.reason.data, _me()),
        _("Deadline changed."),
    )


@bp.post("/notices/<int:notice_id>/items/<int:item_id>/remove")
@role_required(*SUPERVISORS)
def remove(notice_id: int, item_id: int):
    item = get_notice_item(notice_id, item_id)
    return _run(item.notice, lambda: remove_item(item, _me()), _("Finding removed."))


@bp.post("/notices/<int:notice_id>/findings")
@role_required(*SUPERVISORS)
def add(notice_id: int):
    notice = get_notice(notice_id)
    form = AddFindingForm()
    finding = db.session.get(Finding, form.finding_id.data) if form.validate() else None
    if finding is None:
        abort(404)
    return _run(notice, lambda: add_finding(notice, finding, _me()), _("Finding added."))


@bp.post("/notices/<int:notice_id>/issue")
@role_required(*SUPERVISORS)
def issue_notice(notice_id: int):
    notice = get_notice(notice_id)
    return _run(notice, lambda: issue(notice, _me()), _("Notice issued."))


@bp.post("/notices/<int:notice_id>/acknowledge")
@role_required(*CONTRACTORS)
def acknowledge_notice(notice_id: int):
    notice = get_notice(notice_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(_("The signature could not be read. Sign again."), "error")
        return _back(notice)

    def signed():
        signature = signature_from_data_url(form.signature.data)
        acknowledge(notice, _me(), signature=signature, address=request.remote_addr or "")

    return _run(notice, signed, _("Notice acknowledged."))


@bp.post("/notices/<int:notice_id>/served")
@role_required(*SUPERVISORS)
@once_per_client_uuid
def record_service(notice_id: int):
    notice = get_notice(notice_id)
    form = UnsignedServiceForm()
    if not form.validate_on_submit():
        flash(_("Choose what happened, name the witness and add a photo."), "error")
        return _back(notice, "#unsigned-service")
    return _run(
        notice,
        lambda: record_unsigned_service(
            notice,
            _me(),
            ReceiptWay(form.way.data),
            form.witness.data,
            form.photo.data.read(),
            form.note.data,
            address=request.remote_addr or "",
            original=unmarked_originals(1)[0],
        ),
        _("Service recorded; the notice counts as served from now."),
    )


@bp.get("/notices/<int:notice_id>/receipt/<any(signature, photo):part>")
@role_required(*EVERYONE)
def receipt_image(notice_id: int, part: str):
    """The receipt's signature, or the photo taken when it was served without one."""
    receipt = get_notice(notice_id).receipt
    if part == "signature" and receipt and receipt.signature_digest:
        return send_stored(Kind.SIGNATURE, receipt.signature_digest, "image/png")
    if part == "photo" and receipt and receipt.photo_digest:
        return send_photo(receipt.photo_shown_digest, thumb=request.args.get("size") == "thumb")
    abort(404)


@bp.get("/notices/<int:notice_id>/receipt/photo/original")
@role_required(*SUPERVISORS)
def receipt_photo_original(notice_id: int):
    receipt = get_notice(notice_id).receipt or abort(404)
    return send_original(receipt.photo_digest, receipt.photo_original_digest)


@bp.post("/notices/<int:notice_id>/items/<int:item_id>/fix")
@role_required(*CONTRACTORS)
@once_per_client_uuid
def fix(notice_id: int, item_id: int):
    item = get_notice_item(notice_id, item_id)
    form = FixForm()
    if not form.validate_on_submit():
        flash(_("Say what was done."), "error")
        return _back(item.notice, f"#notice-item-{item.id}")
    photos = [f.read() for f in form.photos.data or [] if f and f.filename]
    return _run(
        item.notice,
        lambda: report_fix(
            item,
            _me(),
            form.note.data,
            photos,
            originals=unmarked_originals(len(photos)),
            position=form.position(),
        ),
        _("Fix reported; an inspector will verify it."),
        f"#notice-item-{item.id}",
    )


@bp.post("/notices/<int:notice_id>/items/<int:item_id>/verify")
@role_required(*SUPERVISORS)
def verify(notice_id: int, item_id: int):
    item = get_notice_item(notice_id, item_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        if form.new_deadline.errors:  # typed, but no time
            flash(_("A rejected fix needs a new deadline."), "error")
        else:
            flash(_("Choose accept or reject."), "error")
        return _back(item.notice, f"#notice-item-{item.id}")
    if form.decision.data == "accept":
        return _run(
            item.notice,
            lambda: accept_fix(item, _me()),
            _("Fix accepted."),
            f"#notice-item-{item.id}",
        )
    if form.new_deadline.data is None:
        flash(_("A rejected fix needs a new deadline."), "error")
        return _back(item.notice, f"#notice-item-{item.id}")
    return _run(
        item.notice,
        lambda: reject_fix(item, _me(), form.reason.data, _in_local_zone(form.new_deadline.data)),
        _("Fix rejected and sent back."),
        f"#notice-item-{item.id}",
    )


@bp.route("/notices/rules", methods=["GET", "POST"])
@role_required(*EDITORS)
def rules():
    ensure_default_rules()
    lines = db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position)).all()
    line_of = {line.id: line for line in lines}
    hours_now = {
        hours_field_name(rule.severity, line_of.get(rule.service_line_id)): rule.hours
        for rule in rules_by_key().values()
    }
    form = deadline_rules_form(lines)(obj=notice_policy(), data=hours_now)
    if form.validate_on_submit():
        save_deadline_rules(form, lines)
        flash(_("Deadline rules saved."), "success")
        return redirect(url_for("notices.rules"))
    return form_shown(
        "notices/rules.html",
        form=form,
        lines=lines,
        severities=list(Severity),
        hours_field_name=hours_field_name,
        errors=list(
            dict.fromkeys(
                error
                for line in [None, *lines]
                for severity in Severity
                for error in form[hours_field_name(severity, line)].errors
            )
        ),
    )
