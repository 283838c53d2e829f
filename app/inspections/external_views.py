"""Managers record external checks: who made them, their documents, and guest links for
checkers who fill in the checklist themselves."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.forms import optional_int
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.sites import site_choices
from app.core.extensions import db
from app.core.files import Kind, send_stored
from app.core.photos import send_photo
from app.core.refusals import Refused
from app.inspections.access import can_edit_inspections, get_inspection
from app.inspections.blueprint import bp
from app.inspections.checklist import Plan
from app.inspections.external import attach_document
from app.inspections.forms import DocumentsForm
from app.inspections.models import ExternalBody, ExternalDocument, GuestPass, Scope
from app.inspections.starting import grant_guest_pass, start_external_check
from app.web.replays import once_per_client_uuid
from app.web.responses import apply, form_shown


class ExternalForm(FlaskForm):
    body = SelectField(_l("Who checked"))
    assessor = StringField(
        _l("Checker's name and unit"), validators=[DataRequired(), Length(max=100)]
    )
    site = SelectField(_l("Place"), coerce=int)
    service_line = SelectField(_l("Service line checked"), coerce=optional_int)
    contractor = SelectField(_l("Or a whole contractor"), coerce=optional_int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body.choices = ExternalBody.choices()
        self.site.choices = site_choices()
        lines = db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position))
        self.service_line.choices = [("", "—")] + [(line.id, line.name) for line in lines]
        companies = db.session.scalars(
            sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
        )
        self.contractor.choices = [("", "—")] + [(c.id, c.name) for c in companies]


class GuestPassForm(FlaskForm):
    guest_name = StringField(
        _l("Checker's name and unit"), validators=[DataRequired(), Length(max=100)]
    )
    hours = IntegerField(
        _l("Valid for (hours)"), default=48, validators=[NumberRange(min=1, max=336)]
    )


@bp.route("/external/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_external():
    form = ExternalForm()
    error = None
    if form.validate_on_submit():
        site = db.session.get(Site, form.site.data)
        contractor = form.contractor.data and db.session.get(Contractor, form.contractor.data)
        line = form.service_line.data and db.session.get(ServiceLine, form.service_line.data)
        plan = (
            Plan(Scope.BLOCK, site, contractor=contractor)
            if contractor
            else Plan(Scope.STRIP, site, service_line=line or None)
        )
        try:
            inspection = start_external_check(
                plan,
                current_user._get_current_object(),
                ExternalBody(form.body.data),
                form.assessor.data,
            )
        except Refused as refusal:
            error = str(refusal)
        else:
            return redirect(url_for("inspections.external", inspection_id=inspection.id))
    return form_shown("inspections/external_new.html", form=form, error=error)


@bp.get("/inspections/<int:inspection_id>/external")
@role_required(*SUPERVISORS)
def external(inspection_id: int):
    inspection = get_inspection(inspection_id)
    if inspection.external_body is None:
        abort(404)
    passes = db.session.scalars(
        sa.select(GuestPass).where(GuestPass.inspection_id == inspection.id).order_by(GuestPass.id)
    ).all()
    return render_template(
        "inspections/external.html",
        inspection=inspection,
        passes=passes,
        pass_form=GuestPassForm(),
        can_edit=can_edit_inspections(current_user),
        link=None,
    )


@bp.post("/inspections/<int:inspection_id>/documents")
@role_required(*EDITORS)
@once_per_client_uuid
def upload_document(inspection_id: int):
    inspection = get_inspection(inspection_id)
    form = DocumentsForm()
    form.validate_on_submit()  # nothing to refuse here: no file is said below, a bad one by attach
    files = [f for f in form.document.data or [] if f and f.filename]
    if not files:
        flash(_("Choose a document first."), "error")

    def attach_all():
        for upload in files:
            attach_document(inspection, upload.read(), upload.filename, current_user)

    return apply(attach_all, back=url_for("inspections.external", inspection_id=inspection.id))


@bp.get("/inspections/documents/<int:document_id>")
@role_required(*SUPERVISORS)
def document(document_id: int):
    doc = db.session.get(ExternalDocument, document_id) or abort(404)
    get_inspection(doc.inspection_id)  # may this user see it?
    if doc.kind == "image":
        return send_photo(doc.digest)
    return send_stored(Kind.DOCUMENT, doc.digest, "application/pdf", doc.filename)


@bp.post("/inspections/<int:inspection_id>/guest-pass")
@role_required(*EDITORS)
def guest_pass(inspection_id: int):
    inspection = get_inspection(inspection_id)
    form = GuestPassForm()
    if inspection.external_body is None or not inspection.is_draft:
        abort(409)
    link = None
    if form.validate_on_submit():
        token = grant_guest_pass(
            inspection, current_user._get_current_object(), form.guest_name.data, form.hours.data
        )
        link = url_for("inspections.guest_run", token=token, _external=True)
    passes = db.session.scalars(
        sa.select(GuestPass).where(GuestPass.inspection_id == inspection.id).order_by(GuestPass.id)
    ).all()
    return render_template(
        "inspections/external.html",
        inspection=inspection,
        passes=passes,
        pass_form=form,
        can_edit=True,
        link=link,
    ), (200 if link else 422)
