"""Inspections, their checklist items, evidence photos and the findings they produce."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Severity
from app.core.extensions import LabelledEnum, db, enum_type
from app.core.stamping import StampedEvidence
from app.core.timeutil import utcnow
from app.inspections.revisions import revision_triggers


class Scope(LabelledEnum):
    STRIP = "strip"
    BLOCK = "block"


class Schedule(LabelledEnum):
    SCHEDULED = "scheduled"
    SPOT = "spot"


class Party(LabelledEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class Tier(LabelledEnum):
    DAILY = "daily"
    WEEKLY_JOINT = "weekly_joint"
    MONTHLY = "monthly"
    HALF_YEARLY = "half_yearly"
    AD_HOC = "ad_hoc"


class ExternalBody(LabelledEnum):
    FIRE = "fire"
    HEALTH = "health"
    MARKET = "market"
    ELEVATOR = "elevator"
    ASSESSOR = "assessor"
    OTHER = "other"


class Status(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Answer(LabelledEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"


Scope.LABELS = {Scope.STRIP: _l("Strip check"), Scope.BLOCK: _l("Block check")}
Schedule.LABELS = {Schedule.SCHEDULED: _l("Scheduled"), Schedule.SPOT: _l("Spot check")}
Party.LABELS = {Party.INTERNAL: _l("Internal"), Party.EXTERNAL: _l("External")}
Tier.LABELS = {
    Tier.DAILY: _l("Daily patrol"),
    Tier.WEEKLY_JOINT: _l("Weekly joint check"),
    Tier.MONTHLY: _l("Monthly assessment"),
    Tier.HALF_YEARLY: _l("Half-yearly assessment"),
    Tier.AD_HOC: _l("Ad hoc"),
}
ExternalBody.LABELS = {
    ExternalBody.FIRE: _l("Fire and rescue authority"),
    ExternalBody.HEALTH: _l("Health authority"),
    ExternalBody.MARKET: _l("Market and price regulator"),
    ExternalBody.ELEVATOR: _l("Special equipment (elevator) inspector"),
    ExternalBody.ASSESSOR: _l("Hired professional assessor"),
    ExternalBody.OTHER: _l("Other department"),
}
Status.LABELS = {Status.DRAFT: _l("In progress"), Status.SUBMITTED: _l("Submitted")}
Answer.LABELS = {
    Answer.PASS: _l("Pass"),
    Answer.FAIL: _l("Fail"),
    Answer.NOT_APPLICABLE: _l("N/A"),
}


def _link_table(name: str, other: str) -> sa.Table:
    return sa.Table(
        name,
        db.metadata,
        sa.Column(
            "inspection_id", sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(f"{other}_id", sa.ForeignKey(f"{other}s.id"), primary_key=True),
        # the other way round too: a contractor's, a place's, an inspector's inspections
        sa.Index(f"ix_{name}_{other}_id", f"{other}_id"),
    )


inspection_sites = _link_table("inspection_sites", "site")
inspection_contractors = _link_table("inspection_contractors", "contractor")
inspection_service_lines = _link_table("inspection_service_lines", "service_line")
inspection_inspectors = _link_table("inspection_inspectors", "user")


class Inspection(db.Model):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[Scope] = mapped_column(enum_type(Scope), nullable=False)
    schedule: Mapped[Schedule] = mapped_column(enum_type(Schedule), nullable=False)
    party: Mapped[Party] = mapped_column(enum_type(Party), nullable=False)
    tier: Mapped[Tier] = mapped_column(enum_type(Tier), nullable=False)
    status: Mapped[Status] = mapped_column(
        enum_type(Status), nullable=False, default=Status.DRAFT, index=True
    )
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # a scheduled inspection: the plan, and the occurrence (its due date) it carries out
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspection_plans.id", ondelete="SET NULL"), nullable=True, index=True
    )
    plan_due: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    # a contractor's own check (自查); its failures deduct by the policy's self-check weight
    self_check: Mapped[bool] = mapped_column(
        nullable=False, default=False, server_default=sa.false()
    )
    # an external check: who made it (the department, and the assessor by name)
    external_body: Mapped[ExternalBody | None] = mapped_column(
        enum_type(ExternalBody), nullable=True
    )
    assessor: Mapped[str] = mapped_column(
        sa.String(100), nullable=False, default="", server_default=""
    )
    # when the inspector scanned the place's QR code on arrival (the first scan), and where
    # the phone said it was at the latest scan that told (each far scan is marked besides)
    scanned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    scan_latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    scan_longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    scan_accuracy_m: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    # raised by the database at every change to what the checklist shows (revisions.py)
    revision: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    created_by = relationship("User", foreign_keys=[created_by_id])
    plan = relationship("InspectionPlan")
    sites = relationship("Site", secondary=inspection_sites, order_by="Site.code")
    contractors = relationship(
        "Contractor", secondary=inspection_contractors, order_by="Contractor.name"
    )
    service_lines = relationship(
        "ServiceLine", secondary=inspection_service_lines, order_by="ServiceLine.position"
    )
    inspectors = relationship("User", secondary=inspection_inspectors, order_by="User.username")
    items: Mapped[list["InspectionItem"]] = relationship(
        back_populates="inspection",
        order_by="InspectionItem.position",
        cascade="all, delete-orphan",
    )
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="inspection", order_by="Finding.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list["ExternalDocument"]] = relationship(
        order_by="ExternalDocument.id", cascade="all, delete-orphan"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    def __str__(self) -> str:
        return f"#{self.id}"


@sa.event.listens_for(db.metadata, "after_create")
def _create_revision_triggers(target, connection, **kw):
    for statement in revision_triggers(connection.dialect.name):
        connection.exec_driver_sql(statement)


class InspectionItem(db.Model):
    """One line of an inspection's checklist: a snapshot of the check point, and its answer.

    The snapshot keeps the report true to what was checked when the library changes later.
    An item may instead stand for an expired staff certificate found in a block check.
    """

    __tablename__ = "inspection_items"
    __table_args__ = (
        sa.CheckConstraint("deduction >= 0 AND deduction <= 100", name="deduction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False)
    check_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("check_points.id"), nullable=True
    )
    certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id"), nullable=True
    )
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), nullable=True)
    category: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    standard: Mapped[str] = mapped_column(sa.Text, nullable=False)
    good_practice: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reference_photo: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    severity: Mapped[Severity] = mapped_column(enum_type(Severity), nullable=False)
    deduction: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    answer: Mapped[Answer | None] = mapped_column(enum_type(Answer), nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    inspection: Mapped[Inspection] = relationship(back_populates="items")
    check_point = relationship("CheckPoint")
    certificate = relationship("Certificate")
    contractor = relationship("Contractor")
    site = relationship("Site")
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    photos: Mapped[list["InspectionPhoto"]] = relationship(
        back_populates="item", order_by="InspectionPhoto.id", cascade="all, delete-orphan"
    )
    history: Mapped[list["AnswerRecord"]] = relationship(
        back_populates="item",
        order_by="AnswerRecord.answered_at, AnswerRecord.id",
        cascade="all, delete-orphan",
    )

    @property
    def needs_photo(self) -> bool:
        return self.severity in (Severity.MAJOR, Severity.CRITICAL)


class AnswerRecord(db.Model):
    """Every answer given to an item, kept even when a later one wins.

    Two inspectors on a joint check, one of them offline, can answer the same item: the
    answer tapped later (by the phone's clock) stands, and the other stays here as history.
    A client-made UUID makes a replayed answer count once.
    """

    __tablename__ = "answer_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    answer: Mapped[Answer] = mapped_column(enum_type(Answer), nullable=False)
    answered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, unique=True)

    item: Mapped["InspectionItem"] = relationship(back_populates="history")
    user = relationship("User")


class InspectionPhoto(StampedEvidence, db.Model):
    """Evidence attached to an item: the stored file's hash and where and when it was taken."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    taken_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, unique=True)
    phash: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    item: Mapped[InspectionItem] = relationship(back_populates="photos")
    uploaded_by = relationship("User")


class Finding(db.Model):
    """A failed check point of a submitted inspection, ready to go on a rectification notice."""

    __tablename__ = "findings"
    # Repeats: the same check point at the same place, or by the same contractor, in a window.
    __table_args__ = (
        sa.Index("ix_findings_repeat_place", "check_point_id", "site_id", "found_at"),
        sa.Index("ix_findings_repeat_contractor", "check_point_id", "contractor_id", "found_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection_items.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    check_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("check_points.id"), nullable=True
    )
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True, index=True
    )
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), nullable=True)
    severity: Mapped[Severity] = mapped_column(enum_type(Severity), nullable=False)
    deduction: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    standard: Mapped[str] = mapped_column(sa.Text, nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False)
    found_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    item: Mapped[InspectionItem] = relationship()
    check_point = relationship("CheckPoint")
    contractor = relationship("Contractor")
    site = relationship("Site")

    @property
    def photos(self) -> list[InspectionPhoto]:
        return self.item.photos


class ExternalDocument(db.Model):
    """A document an external checker left: their report or record, as PDF or a photo of it."""

    __tablename__ = "external_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # pdf or image
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    uploaded_by = relationship("User")


class GuestPass(db.Model):
    """An expiring link that lets one external checker fill one checklist, without an account.
    Their answers are recorded under a user made for them that cannot log in."""

    __tablename__ = "guest_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    guest_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    inspection = relationship("Inspection")
    guest = relationship("User", foreign_keys=[guest_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
