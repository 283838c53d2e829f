"""Rectification notices (整改通知书), their findings, fix reports and exit warnings."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.catalog.models import Severity
from app.core.extensions import LabelledEnum, db, enum_type
from app.core.stamping import StampedEvidence
from app.core.timeutil import as_utc, utcnow


class NoticeStatus(LabelledEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class ItemStatus(LabelledEnum):
    OPEN = "open"
    FIX_REPORTED = "fix_reported"
    ACCEPTED = "accepted"


class WarningReason(LabelledEnum):
    # stored as "rejected_twice" from when the count was fixed at two; policy sets it now
    TOO_MANY_REJECTIONS = "rejected_twice"
    LONG_OVERDUE = "long_overdue"


class ReceiptWay(LabelledEnum):
    """How an issued notice reached its contractor: the signing user drew a signature or only
    confirmed; or an inspector recorded, before a witness and with a photo, that the contractor
    refused to sign or could not be reached. From then it counts as served."""

    SIGNED = "signed"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


ReceiptWay.LABELS = {
    ReceiptWay.SIGNED: _l("Signed for"),
    ReceiptWay.CONFIRMED: _l("Receipt confirmed without a signature"),
    ReceiptWay.REFUSED: _l("Refused to sign"),
    ReceiptWay.UNREACHABLE: _l("Could not be served"),
}


NoticeStatus.LABELS = {
    NoticeStatus.DRAFT: _l("Draft"),
    NoticeStatus.ISSUED: _l("Issued, awaiting acknowledgement"),
    NoticeStatus.ACKNOWLEDGED: _l("Acknowledged, being fixed"),
    NoticeStatus.CLOSED: _l("Closed"),
}
ItemStatus.LABELS = {
    ItemStatus.OPEN: _l("To fix"),
    ItemStatus.FIX_REPORTED: _l("Fix reported, to verify"),
    ItemStatus.ACCEPTED: _l("Fix accepted"),
}
WarningReason.LABELS = {
    WarningReason.TOO_MANY_REJECTIONS: _l("A fix was rejected too many times"),
    WarningReason.LONG_OVERDUE: _l("A notice stayed overdue too long"),
}


class DocumentCounter(db.Model):
    """The last number given to a kind of document in a year; locked while a number is taken."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(nullable=False, default=0)


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (sa.UniqueConstraint("year", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=False, index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspections.id"), nullable=True, index=True
    )
    status: Mapped[NoticeStatus] = mapped_column(
        enum_type(NoticeStatus), nullable=False, default=NoticeStatus.DRAFT, index=True
    )
    year: Mapped[int | None] = mapped_column(nullable=True)
    serial: Mapped[int | None] = mapped_column(nullable=True)
    deadline: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    deadline_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    issued_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)

    contractor = relationship("Contractor")
    # inspection.notices: the report lists them without the inspections importing this package
    inspection = relationship("Inspection", backref=backref("notices", order_by="Notice.id"))
    created_by = relationship("User", foreign_keys=[created_by_id])
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])
    items: Mapped[list["NoticeItem"]] = relationship(
        back_populates="notice", order_by="NoticeItem.id", cascade="all, delete-orphan"
    )
    receipt: Mapped["NoticeReceipt | None"] = relationship(cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        if self.serial is None:
            return str(_l("(number given at issue)"))
        return f"整改〔{self.year}〕第{self.serial:04d}号"

    @property
    def is_open(self) -> bool:
        return self.status in (NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)

    def due_items(self) -> list["NoticeItem"]:
        """Items waiting for the contractor (a reported fix waits for us, not for them)."""
        return [item for item in self.items if item.status == ItemStatus.OPEN]

    def next_deadline(self) -> datetime | None:
        deadlines = [as_utc(item.deadline) for item in self.due_items()]
        return min(deadlines) if deadlines else None

    def is_overdue(self, now: datetime) -> bool:
        deadline = self.next_deadline()
        return self.is_open and deadline is not None and deadline < now

    @classmethod
    def overdue_at_time(cls, now: datetime):
        """SQL for `is_overdue`: open, with an item waiting for the contractor past its
        deadline."""
        late = (
            sa.select(NoticeItem.id)
            .where(
                NoticeItem.notice_id == cls.id,
                NoticeItem.status == ItemStatus.OPEN,
                NoticeItem.deadline < now,
            )
            .exists()
        )
        return sa.and_(cls.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)), late)


class NoticeItem(db.Model):
    """One finding on a notice, with its own deadline once a rejected fix sends it back."""

    __tablename__ = "notice_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False, index=True
    )
    finding_id: Mapped[int] = mapped_column(
        sa.ForeignKey("findings.id"), nullable=False, unique=True
    )
    status: Mapped[ItemStatus] = mapped_column(
        enum_type(ItemStatus), nullable=False, default=ItemStatus.OPEN
    )
    deadline: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    rejections: Mapped[int] = mapped_column(nullable=False, default=0)
    rejection_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    fix_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    fix_reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    fix_reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    notice: Mapped[Notice] = relationship(back_populates="items")
    finding = relationship("Finding")
    fix_reported_by = relationship("User", foreign_keys=[fix_reported_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    fix_photos: Mapped[list["FixPhoto"]] = relationship(
        back_populates="item", order_by="FixPhoto.id", cascade="all, delete-orphan"
    )

    @property
    def severity(self) -> Severity:
        return self.finding.severity


class NoticeReceipt(db.Model):
    """How and when an issued notice was served, by whom, from which address."""

    __tablename__ = "notice_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    way: Mapped[ReceiptWay] = mapped_column(enum_type(ReceiptWay), nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(45), nullable=False, default="")
    signature_digest: Mapped[str | None] = mapped_column(sa.String(64))  # a PNG
    witness: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    photo_digest: Mapped[str | None] = mapped_column(sa.String(64))
    photo_stamped_digest: Mapped[str | None] = mapped_column(sa.String(64))
    photo_original_digest: Mapped[str | None] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    recorded_by = relationship("User")

    @property
    def photo_shown_digest(self) -> str | None:
        return self.photo_stamped_digest or self.photo_digest

    @property
    def served_without_signing(self) -> bool:
        return self.way in (ReceiptWay.REFUSED, ReceiptWay.UNREACHABLE)


class FixPhoto(StampedEvidence, db.Model):
    """The contractor's proof that a finding is put right."""

    __tablename__ = "fix_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notice_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    taken_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # where the phone said it was when the photo was sent (Geolocation API), if it could tell
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    phash: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    item: Mapped[NoticeItem] = relationship(back_populates="fix_photos")


class DeadlineRule(db.Model):
    """How long a contractor has to fix a finding of a severity, optionally for one line."""

    __tablename__ = "deadline_rules"
    __table_args__ = (
        sa.UniqueConstraint("severity", "service_line_id"),
        sa.CheckConstraint("hours > 0 AND hours <= 8760", name="hours_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    severity: Mapped[Severity] = mapped_column(enum_type(Severity), nullable=False)
    service_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_lines.id"), nullable=True
    )
    hours: Mapped[int] = mapped_column(nullable=False)

    service_line = relationship("ServiceLine")


class NoticePolicy(db.Model):
    """The managers' escalation limits (one row)."""

    __tablename__ = "notice_policy"
    __table_args__ = (
        sa.CheckConstraint("overdue_warning_days > 0", name="overdue_days"),
        sa.CheckConstraint("warning_after_rejections > 0", name="rejections"),
        sa.CheckConstraint("reminder_hours > 0", name="reminder_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    overdue_warning_days: Mapped[int] = mapped_column(nullable=False, default=7)
    warning_after_rejections: Mapped[int] = mapped_column(nullable=False, default=2)
    # how long before a deadline the contractor is reminded
    reminder_hours: Mapped[int] = mapped_column(nullable=False, default=24, server_default="24")


class ExitWarning(db.Model):
    """A written exit warning (书面退出警告): a numbered document of its own."""

    __tablename__ = "exit_warnings"
    __table_args__ = (
        sa.UniqueConstraint("year", "serial"),
        sa.UniqueConstraint("notice_item_id", "reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=False, index=True
    )
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), nullable=False)
    notice_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notice_items.id"), nullable=True
    )
    reason: Mapped[WarningReason] = mapped_column(enum_type(WarningReason), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    serial: Mapped[int] = mapped_column(nullable=False)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    issued_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )

    contractor = relationship("Contractor")
    notice = relationship("Notice")
    notice_item = relationship("NoticeItem")

    @property
    def after_rejections(self) -> bool:
        return self.reason == WarningReason.TOO_MANY_REJECTIONS

    @property
    def number(self) -> str:
        return f"退出警告〔{self.year}〕第{self.serial:03d}号"
