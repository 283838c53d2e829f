"""Assessment settings, bonus points, satisfaction rates and monthly bulletins."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


DEFAULT_POLICY = {
    "tier_weights": {
        "daily": "1.0",
        "weekly_joint": "1.2",
        "monthly": "1.5",
        "half_yearly": "2.0",
        "ad_hoc": "1.0",
        "self_check": "0",  # a failure a contractor reports itself: no deduction by default
    },
    "overdue_notice_points": Decimal("2"),
    "exit_warning_points": Decimal("5"),
    "complaint_points": Decimal("3"),
    "bonus_cap": Decimal("5"),
    "score_bands": [
        {"minimum": "95", "percent": "10"},
        {"minimum": "90", "percent": "0"},
        {"minimum": "80", "percent": "-10"},
        {"minimum": "0", "percent": "-30"},
    ],
    "satisfaction_bands": [
        {"minimum": "95", "percent": "5"},
        {"minimum": "90", "percent": "0"},
        {"minimum": "80", "percent": "-5"},
        {"minimum": "0", "percent": "-15"},
    ],
    "praise_top": 1,
    "criticise_below": Decimal("85"),
    "repeat_window_days": 30,
    "repeat_weight": Decimal("1"),
}


# The rules' fields, named once: the form, the rules page and the history of a score use these.
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


class AssessmentPolicy(db.Model):
    """What managers set: tier weights, fixed deductions, the bonus cap, bands, bulletin rules."""

    __tablename__ = "assessment_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_weights: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    overdue_notice_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    exit_warning_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    complaint_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    bonus_cap: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    score_bands: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    satisfaction_bands: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    praise_top: Mapped[int] = mapped_column(nullable=False)
    criticise_below: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    # A finding repeats one at the same check point and place found this many days before.
    repeat_window_days: Mapped[int] = mapped_column(nullable=False, server_default="30")
    # A repeat's deduction is multiplied by this (1: a repeat costs what any finding costs).
    repeat_weight: Mapped[Decimal] = mapped_column(
        sa.Numeric(3, 1), nullable=False, server_default="1"
    )


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
