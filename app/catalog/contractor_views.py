"""Contractors, their contracts, staff and certificates."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import CONTRACTORS, EDITORS, EVERYONE, SUPERVISORS, role_required
from app.catalog.access import get_certificate, get_contractor, get_staff_member
from app.catalog.blueprint import bp
from app.catalog.contractors import (
    contractor_name_taken,
    save_certificate,
    save_contractor,
    save_staff_member,
)
from app.catalog.forms import (
    CERTIFICATE_KINDS,
    CertificateForm,
    ContractorForm,
    StaffForm,
)
from app.catalog.models import Certificate, Contractor, ServiceLine, StaffMember
from app.catalog.sites import site_choices, with_path
from app.catalog.staff import certificates_query
from app.core.extensions import db
from app.core.timeutil import local_today
from app.web.responses import form_shown, page_or_fragment


@bp.get("/contractors")
@role_required(*SUPERVISORS)
def contractors():
    rows = db.session.scalars(
        sa.select(Contractor)
        .order_by(Contractor.active.desc(), Contractor.name)
        .options(selectinload(Contractor.service_lines), selectinload(Contractor.staff))
    ).all()
    return render_template("catalog/contractors.html", contractors=rows)


@bp.get("/contractors/mine")
@role_required(*CONTRACTORS)
def contractor_own():
    return redirect(url_for("catalog.contractor", contractor_id=current_user.contractor_id))


@bp.get("/contractors/<int:contractor_id>")
@role_required(*EVERYONE)
def contractor(contractor_id: int):
    company = get_contractor(contractor_id, selectinload(Contractor.sites).options(with_path()))
    staff = db.session.scalars(
        sa.select(StaffMember)
        .where(StaffMember.contractor_id == company.id)
        .order_by(StaffMember.active.desc(), StaffMember.name)
        .options(selectinload(StaffMember.certificates))
    ).all()
    current = {c.id for c in db.session.scalars(certificates_query(contractor_id=company.id))}
    return render_template(
        "catalog/contractor.html",
        contractor=company,
        staff=staff,
        current_certificates=current,
        warning_days=current_app.config["CERTIFICATE_WARNING_DAYS"],
    )


def _fill_contractor_choices(form: ContractorForm):
    lines = db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position)).all()
    form.service_lines.choices = [(line.id, line.name) for line in lines]
    form.sites.choices = site_choices()


@bp.route("/contractors/new", methods=["GET", "POST"], endpoint="contractor_new")
@bp.route(
    "/contractors/<int:contractor_id>/edit", methods=["GET", "POST"], endpoint="contractor_edit"
)
@role_required(*EDITORS)
def contractor_form(contractor_id: int | None = None):
    company = get_contractor(contractor_id) if contractor_id else None
    form = ContractorForm(obj=company)
    _fill_contractor_choices(form)
    if request.method == "GET":
        if company:
            form.service_lines.data = [line.id for line in company.service_lines]
            form.sites.data = [site.id for site in company.sites]
        else:
            form.satisfaction_target.data = Decimal("90")
            form.deposit_share.data = Decimal("5")
    if form.validate_on_submit():
        if contractor_name_taken(form.name.data, company):
            form.name.errors.append(_("A contractor of this name exists."))
        else:
            company = save_contractor(company, form)
            flash(_("Contractor %(name)s saved.", name=company.short_name), "success")
            return redirect(url_for("catalog.contractor", contractor_id=company.id))
    title = _("Edit contractor") if company else _("New contractor")
    cancel = (
        url_for("catalog.contractor", contractor_id=company.id)
        if company
        else url_for("catalog.contractors")
    )
    return form_shown("form_page.html", form=form, title=title, cancel_url=cancel)


@bp.route(
    "/contractors/<int:contractor_id>/staff/new",
    methods=["GET", "POST"],
    endpoint="contractor_staff_new",
)
@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"], endpoint="contractor_staff_edit")
@role_required(*EDITORS)
def staff_form(contractor_id: int | None = None, staff_id: int | None = None):
    member = get_staff_member(staff_id) if staff_id else None
    company = member.contractor if member else get_contractor(contractor_id)
    form = StaffForm(obj=member)
    if form.validate_on_submit():
        member = save_staff_member(member, company, form)
        flash(_("%(name)s saved.", name=member.name), "success")
        return redirect(url_for("catalog.contractor", contractor_id=company.id) + "#staff")
    title = (
        _("Edit %(name)s", name=member.name)
        if member
        else _("New staff member of %(company)s", company=company.short_name)
    )
    return form_shown(
        "form_page.html",
        form=form,
        title=title,
        cancel_url=url_for("catalog.contractor", contractor_id=company.id),
    )


@bp.route(
    "/staff/<int:staff_id>/certificates/new",
    methods=["GET", "POST"],
    endpoint="contractor_certificate_new",
)
@bp.route(
    "/certificates/<int:certificate_id>/edit",
    methods=["GET", "POST"],
    endpoint="contractor_certificate_edit",
)
@role_required(*EDITORS)
def certificate_form(staff_id: int | None = None, certificate_id: int | None = None):
    certificate = get_certificate(certificate_id) if certificate_id else None
    member = certificate.staff_member if certificate else get_staff_member(staff_id)
    form = CertificateForm(obj=certificate)
    if form.validate_on_submit():
        save_certificate(certificate, member, form)
        flash(_("Certificate saved."), "success")
        return redirect(
            url_for("catalog.contractor", contractor_id=member.contractor_id) + "#staff"
        )
    title = (
        _("Edit certificate of %(name)s", name=member.name)
        if certificate
        else _("New certificate for %(name)s", name=member.name)
    )
    return form_shown(
        "form_page.html",
        form=form,
        title=title,
        datalist=CERTIFICATE_KINDS,
        cancel_url=url_for("catalog.contractor", contractor_id=member.contractor_id),
    )


CERTIFICATE_FILTERS = ("expired", "expiring", "all")


@bp.get("/certificates")
@role_required(*SUPERVISORS)
def certificates():
    show = request.args.get("show", "expired")
    if show not in CERTIFICATE_FILTERS:
        abort(404)
    today = local_today()
    warning_days = current_app.config["CERTIFICATE_WARNING_DAYS"]
    query = certificates_query()
    if show == "expired":
        query = query.where(Certificate.expires_on < today)
    elif show == "expiring":
        query = query.where(
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=warning_days),
        )
    rows = db.session.scalars(query).all()
    template = page_or_fragment("catalog/certificates.html", "catalog/_certificate_rows.html")
    return render_template(
        template,
        certificates=rows,
        show=show,
        filters=CERTIFICATE_FILTERS,
        warning_days=warning_days,
    )
