"""Assessment settings, bonus points, satisfaction rates and monthly bulletins."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.rules import DEFAULT_POLICY
from app.core.extensions import LabelledEnum, db, enum_type
from app.core.timeutil import utcnow

MONTH = sa.String(7)  # "YYYY-MM" in the bureau's time zone


class BonusKind(LabelledEnum):
    INNOVATION = "innovation"
    GOOD_PRACTICE = "good_practice"
    PRAISE = "praise"


BonusKind.LABELS = {
    BonusKind.INNOVATION: _l("Innovation"),
    BonusKind.GOOD_PRACTICE: _l("Good practice adopted elsewhere"),
    BonusKind.PRAISE: _l("Praise from recipients"),
}


class BulletinStatus(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


BulletinStatus.LABELS = {
    BulletinStatus.DRAFT: _l("Draft"),
    BulletinStatus.PUBLISHED: _l("Published"),
}


TIERS = tuple(DEFAULT_POLICY["tier_weights"])  # each tier's weight, the self-check's included
POINT_RULES = (
    "overdue_notice_points",
    "exit_warning_points",
    "complaint_points",
    "bonus_cap",
    "criticise_below",
)
INTEGER_RULES = ("praise_top", "repeat_window_days")
WEIGHT_RULES = ("repeat_weight",)
BAND_RULES = ("score_bands", "satisfaction_bands")
BANDS_PER_RULE = 4


class BonusEntry(db.Model):
    __tablename__ = "bonus_entries"
    __table_args__ = (sa.CheckConstraint("points > 0 AND points <= 20", name="points_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(MONTH, nullable=False, index=True)
    contractor_id: Mapped[int] = mapped_column(sa.ForeignKey("contractors.id"), nullable=False)
    service_line_id: Mapped[int] = mapped_column(sa.ForeignKey("service_lines.id"), nullable=False)
    kind: Mapped[BonusKind] = mapped_column(enum_type(BonusKind), nullable=False)
    points: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    contractor = relationship("Contractor")
    service_line = relationship("ServiceLine")
    created_by = relationship("User")


class SatisfactionEntry(db.Model):
    """A month's satisfaction rate for a contractor, from the survey or entered by a manager."""

    __tablename__ = "satisfaction_entries"
    __table_args__ = (
        sa.UniqueConstraint("month", "contractor_id"),
        sa.CheckConstraint("rate >= 0 AND rate <= 100", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(MONTH, nullable=False, index=True)
    contractor_id: Mapped[int] = mapped_column(sa.ForeignKey("contractors.id"), nullable=False)
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    respondents: Mapped[int] = mapped_column(nullable=False, default=0)
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)

    contractor = relationship("Contractor")


class Bulletin(db.Model):
    """The monthly bulletin (月度通报): prose managers write over figures frozen at publish."""

    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(MONTH, nullable=False, unique=True)
    status: Mapped[BulletinStatus] = mapped_column(
        enum_type(BulletinStatus), nullable=False, default=BulletinStatus.DRAFT
    )
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    praise: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    criticism: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    measures: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    pdf_digest: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    published_by = relationship("User")


class ResultsPage(db.Model):
    """The published results (公布考核结果) for the compound's staff: on or off, and the secret
    its link carries. One row, made when managers first turn it on.

    The secret is kept as it is, like a survey's slug, so that managers can show and print the
    link again; what it opens (the published rankings) is in the same database anyway. It is
    compared in constant time."""

    __tablename__ = "results_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(nullable=False, default=False)
    token: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    token_made_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
