"""Access getters: return the object the user may see, or abort 404."""

from flask import abort
from flask_login import current_user

from app.auth.access import can_see_contractor
from app.catalog.models import Certificate, Contractor, StaffMember
from app.core.extensions import db


def get_contractor(contractor_id: int, *loading) -> Contractor:
    """The contractor, if the user may see it (another contractor's user gets 404), loaded
    with the `loading` options."""
    contractor = db.session.get(Contractor, contractor_id, options=loading)
    if contractor is None or not can_see_contractor(current_user, contractor.id):
        abort(404)
    return contractor


def get_staff_member(staff_id: int) -> StaffMember:
    member = db.session.get(StaffMember, staff_id)
    if member is None or not can_see_contractor(current_user, member.contractor_id):
        abort(404)
    return member


def get_certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not can_see_contractor(
        current_user, certificate.staff_member.contractor_id
    ):
        abort(404)
    return certificate
