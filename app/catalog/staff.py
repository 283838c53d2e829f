"""Certificates that have expired or will soon: findings-to-be and what waits for managers."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.catalog.models import Certificate, Contractor, StaffMember
from app.core.extensions import db


@dataclass
class CertificateAlerts:
    expired: list[Certificate]
    expiring: list[Certificate]


@cache
def _superseded():
    """A certificate renewed by a later one of the same kind no longer counts. Built once (not
    at import: the models must all be mapped first); every page's navigation counts expired
    certificates, and building this was most of that count's cost."""
    newer = aliased(Certificate)
    return (
        sa.select(newer.id)
        .where(
            newer.staff_member_id == Certificate.staff_member_id,
            newer.kind == Certificate.kind,
            newer.expires_on > Certificate.expires_on,
        )
        .exists()
    )


def certificates_query(*, contractor_id: int | None = None):
    """Active staff's current certificates, soonest expiry first, optionally for one
    contractor; none that a later one of the same kind renewed."""
    query = (
        sa.select(Certificate)
        .join(Certificate.staff_member)
        .join(StaffMember.contractor)
        .where(StaffMember.active.is_(True), Contractor.active.is_(True), ~_superseded())
        .options(joinedload(Certificate.staff_member).joinedload(StaffMember.contractor))
        .order_by(Certificate.expires_on, Certificate.id)
    )
    if contractor_id is not None:
        query = query.where(StaffMember.contractor_id == contractor_id)
    return query


def certificate_alerts(
    today: date, warning_days: int, *, contractor_id: int | None = None
) -> CertificateAlerts:
    """Certificates already expired, and those expiring within `warning_days`."""
    horizon = today + timedelta(days=warning_days)
    rows = db.session.scalars(
        certificates_query(contractor_id=contractor_id).where(Certificate.expires_on <= horizon)
    ).all()
    return CertificateAlerts(
        expired=[c for c in rows if c.is_expired(today)],
        expiring=[c for c in rows if not c.is_expired(today)],
    )
