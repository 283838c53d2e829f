"""The recipients' voice: complaints (and the guard on public forms)."""

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import LabelledEnum, db, enum_type
from app.core.stamping import StampedEvidence
from app.core.timeutil import utcnow


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
    # the UUID the complainant's phone sent the form under: a resend files nothing twice
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, unique=True)
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
    photos: Mapped[list["ComplaintPhoto"]] = relationship(
        order_by="ComplaintPhoto.id", cascade="all, delete-orphan"
    )
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


class ComplaintPhoto(StampedEvidence, db.Model):
    """A photo the complainant sent with the complaint (no uploader), or one taken while
    investigating it; they go with the finding if the complaint is upheld."""

    __tablename__ = "complaint_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False, index=True
    )
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    phash: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )


class Rating(LabelledEnum):
    SATISFIED = "satisfied"
    FAIR = "fair"
    DISSATISFIED = "dissatisfied"


Rating.LABELS = {
    Rating.SATISFIED: _l("Satisfied"),
    Rating.FAIR: _l("Fairly satisfied"),
    Rating.DISSATISFIED: _l("Dissatisfied"),
}


class Survey(db.Model):
    """A quarter's opinion survey (每季征询意见): a public questionnaire reached by link or QR."""

    __tablename__ = "surveys"
    __table_args__ = (sa.UniqueConstraint("plan_id", "plan_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    quarter: Mapped[str] = mapped_column(sa.String(7), nullable=False)  # 2026-Q4
    opens_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closes_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    slug: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, unique=True, default=lambda: secrets.token_urlsafe(9)
    )
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    applied_month: Mapped[str | None] = mapped_column(sa.String(7), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspection_plans.id"), nullable=True, index=True
    )
    plan_due: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    cards_only: Mapped[bool] = mapped_column(
        nullable=False, default=False, server_default=sa.false()
    )

    created_by = relationship("User")
    plan = relationship("InspectionPlan")
    cards: Mapped[list["SurveyCard"]] = relationship(back_populates="survey")
    responses: Mapped[list["SurveyResponse"]] = relationship(back_populates="survey")

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on


class SurveyCard(db.Model):
    """A printed answer card: its code answers the survey once, whoever holds it. Only a
    keyed hash of the code is kept, and nothing ties a card to a person."""

    __tablename__ = "survey_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    used: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=sa.false())

    survey: Mapped[Survey] = relationship(back_populates="cards")


class SurveyResponse(db.Model):
    """One person's answers. Who answered is not known: only a keyed hash of a random token
    their browser keeps, so the same browser cannot answer one survey twice."""

    __tablename__ = "survey_responses"
    __table_args__ = (sa.UniqueConstraint("survey_id", "voter_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), nullable=False, index=True)
    voter_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    survey: Mapped[Survey] = relationship(back_populates="responses")
    ratings: Mapped[list["SurveyRating"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class SurveyRating(db.Model):
    __tablename__ = "survey_ratings"
    __table_args__ = (sa.UniqueConstraint("response_id", "contractor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), nullable=False, index=True
    )
    contractor_id: Mapped[int] = mapped_column(sa.ForeignKey("contractors.id"), nullable=False)
    rating: Mapped[Rating] = mapped_column(enum_type(Rating), nullable=False)

    response: Mapped[SurveyResponse] = relationship(back_populates="ratings")
    contractor = relationship("Contractor")
