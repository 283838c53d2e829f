"""Complaints as supervisors handle them: the list, the hotline log, and each step."""

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.sites import site_choices
from app.core.extensions import db
from app.core.photos import send_photo
from app.feedback.access import can_decide_complaints, get_complaint
from app.feedback.blueprint import bp
from app.feedback.complaints import (
    accept,
    add_evidence,
    assign,
    dismiss,
    log_hotline_complaint,
    public_timeline,
    uphold,
)
from app.feedback.forms import AssignForm, DecisionForm, EvidenceForm, HotlineComplaintForm
from app.feedback.models import Complaint, ComplaintChannel, ComplaintPhoto, ComplaintStatus
from app.web.originals import send_original, unmarked_originals
from app.web.replays import once_per_client_uuid
from app.web.responses import apply, form_shown


@bp.get("/complaints")
@role_required(*SUPERVISORS)
def complaints():
    status = request.args.get("status", "open")
    query = sa.select(Complaint).order_by(Complaint.filed_at.desc())
    if status == "open":
        query = query.where(
            Complaint.status.notin_((ComplaintStatus.UPHELD, ComplaintStatus.DISMISSED))
        )
    return render_template(
        "feedback/complaints.html",
        complaints=db.session.scalars(query.limit(200)).all(),
        status=status,
        can_log=can_decide_complaints(current_user),
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def log_complaint():
    form = HotlineComplaintForm()
    if form.validate_on_submit():
        complaint, token = log_hotline_complaint(
            ComplaintChannel(form.channel.data),
            form.subject.data,
            form.description.data,
            form.location.data or "",
            form.contact.data or "",
            current_user._get_current_object(),
        )
        return render_template(
            "feedback/complaint_filed.html",
            complaint=complaint,
            link=url_for("feedback.complaint_status", token=token, _external=True),
        )
    return form_shown(
        "form_page.html",
        form=form,
        title=_("Log a complaint"),
        cancel_url=url_for("feedback.complaints"),
    )


def _assign_form(complaint: Complaint) -> AssignForm:
    form = AssignForm(
        contractor=complaint.contractor_id,
        service_line=complaint.service_line_id,
        site=complaint.site_id,
    )
    form.contractor.choices = [
        (c.id, c.name)
        for c in db.session.scalars(
            sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
        )
    ]
    form.service_line.choices = [
        (line.id, line.name)
        for line in db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position))
    ]
    form.site.choices = site_choices()
    return form


def _page(complaint: Complaint, status: int = 200, **forms):
    forms.setdefault("evidence_form", EvidenceForm())
    forms.setdefault("assign_form", _assign_form(complaint))
    forms.setdefault("decision_form", DecisionForm())
    return render_template(
        "feedback/complaint.html",
        complaint=complaint,
        timeline=public_timeline(complaint),
        can_decide=can_decide_complaints(current_user),
        **forms,
    ), status


@bp.get("/complaints/<int:complaint_id>")
@role_required(*SUPERVISORS)
def complaint(complaint_id: int):
    return _page(get_complaint(complaint_id))


@bp.post("/complaints/<int:complaint_id>/<step>")
@role_required(*SUPERVISORS)
@once_per_client_uuid
def complaint_step(complaint_id: int, step: str):
    complaint = get_complaint(complaint_id)
    if step not in STEPS:
        abort(404)
    name, make_form, change = STEPS[step]
    form = make_form(complaint) if make_form else None
    if form is not None and not form.validate_on_submit():
        return _page(complaint, 422, **{name: form})
    user = current_user._get_current_object()
    return apply(
        lambda: change(complaint, user, form),
        back=url_for("feedback.complaint", complaint_id=complaint.id),
    )


def _evidence(complaint: Complaint, user, form: EvidenceForm) -> None:
    photos = [f.read() for f in form.photo.data or [] if f and f.filename]
    add_evidence(complaint, user, form.evidence.data, photos, unmarked_originals(len(photos)))


def _assign(complaint: Complaint, user, form: AssignForm) -> None:
    contractor = db.session.get(Contractor, form.contractor.data)
    line = db.session.get(ServiceLine, form.service_line.data)
    assign(complaint, user, contractor, line, db.session.get(Site, form.site.data))


# each step: the name of its form on the page, how the form is made, the change it makes
STEPS = {
    "accept": (None, None, lambda complaint, user, _form: accept(complaint, user)),
    "evidence": ("evidence_form", lambda _complaint: EvidenceForm(), _evidence),
    "assign": ("assign_form", _assign_form, _assign),
    "uphold": (
        "decision_form",
        lambda _complaint: DecisionForm(),
        lambda complaint, user, form: uphold(complaint, user, form.reason.data),
    ),
    "dismiss": (
        "decision_form",
        lambda _complaint: DecisionForm(),
        lambda complaint, user, form: dismiss(complaint, user, form.reason.data),
    ),
}


@bp.get("/complaints/photos/<int:photo_id>")
@role_required(*SUPERVISORS)
def complaint_photo(photo_id: int):
    photo = db.session.get(ComplaintPhoto, photo_id) or abort(404)
    return send_photo(photo.shown_digest, thumb=request.args.get("size") == "thumb")


@bp.get("/complaints/photos/<int:photo_id>/original")
@role_required(*SUPERVISORS)
def complaint_photo_original(photo_id: int):
    photo = db.session.get(ComplaintPhoto, photo_id) or abort(404)
    return send_original(photo.digest, photo.original_digest)
