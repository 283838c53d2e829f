"""The recipients' voice: complaints (and the guard on public forms)."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import LabelledEnum, db, enum_type
from app.timeutil import utcnow


class ComplaintChannel(LabelledEnum):
    HOTLINE = "hotline"
    ONLINE = "online"
    LIAISON = "liaison"


class ComplaintStatus(LabelledEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    INVESTIGATING = "investigating"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


ComplaintChannel.LABELS = {
    ComplaintChannel.HOTLINE: _l("Service hotline"),
    ComplaintChannel.ONLINE: _l("Online form"),
    ComplaintChannel.LIAISON: _l("Liaison officer"),
}
ComplaintStatus.LABELS = {
    ComplaintStatus.RECEIVED: _l("Received"),
    ComplaintStatus.ACCEPTED: _l("Accepted"),
    ComplaintStatus.INVESTIGATING: _l("Under investigation"),
    ComplaintStatus.UPHELD: _l("Upheld"),
    ComplaintStatus.DISMISSED: _l("Dismissed"),
}


class Complaint(db.Model):
    """A complaint from a service recipient, from filing to its decision. The complainant
    follows it with a private link; only the link's hash is stored."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[ComplaintChannel] = mapped_column(enum_type(ComplaintChannel), nullable=False)
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_type(ComplaintStatus), nullable=False, default=ComplaintStatus.RECEIVED, index=True
    )
    filed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    contact: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    logged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True, index=True
    )
    service_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_lines.id"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), nullable=True)
    evidence: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decision: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    # the inspection record an upheld complaint becomes: its finding deducts, its notice follows
    inspection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspections.id"), nullable=True
    )

    logged_by = relationship("User")
    contractor = relationship("Contractor")
    service_line = relationship("ServiceLine")
    site = relationship("Site")
    inspection = relationship("Inspection")

    @property
    def reference(self) -> str:
        return f"TS{self.filed_at:%Y}-{self.id:04d}"

    @property
    def is_open(self) -> bool:
        return self.status not in (ComplaintStatus.UPHELD, ComplaintStatus.DISMISSED)


class PublicSubmission(db.Model):
    """A public form sent from an address (kept only as a keyed hash): for rate limits."""

    __tablename__ = "public_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    address_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
