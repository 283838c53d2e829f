"""Contractors, their staff and certificates, as the editors' pages save them: each action
writes what its form says, records the audit event and commits. And the active contractors,
read once a request."""

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import selectinload

from app.catalog.forms import populate_except
from app.catalog.models import Certificate, Contractor, ServiceLine, Site, StaffMember
from app.core.audit import record_event
from app.core.extensions import db


def active_contractors(*, with_lines: bool = False) -> list[Contractor]:
    """The active contractors by name (`with_lines`: their service lines loaded too), read
    once a request and kept on flask.g: the month's pages, the bulletin and the navigation's
    queue all ask. Outside a request (the worker, the command line), read afresh."""
    kept = g.get("active_contractors") if has_request_context() else None
    if kept is not None and (kept[1] or not with_lines):
        return kept[0]
    query = sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    if with_lines:
        query = query.options(selectinload(Contractor.service_lines))
    contractors = list(db.session.scalars(query))
    if has_request_context():
        g.active_contractors = (contractors, with_lines)
    return contractors


def contractor_name_taken(name: str, company: Contractor | None) -> bool:
    """Whether another contractor has this name."""
    clash = db.session.scalar(sa.select(Contractor).where(Contractor.name == name.strip()))
    return clash is not None and clash is not company


def save_contractor(company: Contractor | None, form) -> Contractor:
    """A new contractor (`company` None) or a changed one, with its service lines and sites."""
    if company is None:
        company = Contractor()
        db.session.add(company)
    populate_except(form, company, "service_lines", "sites")
    company.service_lines = list(
        db.session.scalars(
            sa.select(ServiceLine).where(ServiceLine.id.in_(form.service_lines.data))
        )
    )
    company.sites = list(db.session.scalars(sa.select(Site).where(Site.id.in_(form.sites.data))))
    record_event("contractor_saved", company, to_state="active" if company.active else "inactive")
    db.session.commit()
    return company


def save_staff_member(member: StaffMember | None, company: Contractor, form) -> StaffMember:
    if member is None:
        member = StaffMember(contractor=company)
        db.session.add(member)
    form.populate_obj(member)
    record_event("staff_saved", member, to_state="active" if member.active else "left")
    db.session.commit()
    return member


def save_certificate(certificate: Certificate | None, member: StaffMember, form) -> Certificate:
    if certificate is None:
        certificate = Certificate(staff_member=member)
        db.session.add(certificate)
    form.populate_obj(certificate)
    record_event(
        "certificate_saved", certificate, to_state=f"expires {certificate.expires_on.isoformat()}"
    )
    db.session.commit()
    return certificate
