"""Inspection plans (检查计划): what must be inspected, where, by whom and how often."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Frequency
from app.core.extensions import LabelledEnum, db, enum_type
from app.core.timeutil import utcnow
from app.inspections.models import Party, Scope, Tier
from app.plans.recurrence import MONTHS_PER_PERIOD, Recurrence, Rule

plan_inspectors = sa.Table(
    "plan_inspectors",
    db.metadata,
    sa.Column(
        "plan_id", sa.ForeignKey("inspection_plans.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


plan_stop_points = sa.Table(
    "plan_stop_points",
    db.metadata,
    sa.Column("stop_id", sa.ForeignKey("plan_stops.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("check_point_id", sa.ForeignKey("check_points.id"), primary_key=True),
)


class PlanActivity(LabelledEnum):
    INSPECTION = "inspection"
    SURVEY = "survey"


PlanActivity.LABELS = {
    PlanActivity.INSPECTION: _l("Inspection"),
    PlanActivity.SURVEY: _l("Opinion survey"),
}


class InspectionPlan(db.Model):
    """A recurring inspection: a patrol route (its stops in order) or one place, checked by
    the assigned inspectors at each occurrence of its rule. A survey plan has no route: at
    each occurrence one of its team opens that period's opinion survey."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    recurrence: Mapped[Recurrence] = mapped_column(enum_type(Recurrence), nullable=False)
    weekday: Mapped[int | None] = mapped_column(nullable=True)  # 0 = Monday
    day_of_month: Mapped[int | None] = mapped_column(nullable=True)  # 1..31, kept in the month
    period_month: Mapped[int | None] = mapped_column(nullable=True)  # month of the quarter/half
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    activity: Mapped[PlanActivity] = mapped_column(
        enum_type(PlanActivity),
        nullable=False,
        default=PlanActivity.INSPECTION,
        server_default=PlanActivity.INSPECTION.value,
    )
    tier: Mapped[Tier | None] = mapped_column(enum_type(Tier), nullable=True)
    scope: Mapped[Scope | None] = mapped_column(enum_type(Scope), nullable=True)
    party: Mapped[Party] = mapped_column(enum_type(Party), nullable=False, default=Party.INTERNAL)
    service_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_lines.id"), nullable=True
    )
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True
    )
    # a plan made from a frequency checks only its line's points of that frequency
    frequency: Mapped[Frequency | None] = mapped_column(enum_type(Frequency), nullable=True)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    service_line = relationship("ServiceLine")
    contractor = relationship("Contractor")
    stops: Mapped[list["PlanStop"]] = relationship(
        back_populates="plan", order_by="PlanStop.position", cascade="all, delete-orphan"
    )
    inspectors = relationship("User", secondary=plan_inspectors, order_by="User.display_name")

    @property
    def rule(self) -> Rule:
        return Rule(
            recurrence=self.recurrence,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            weekday=self.weekday,
            day_of_month=self.day_of_month,
            period_month=self.period_month,
        )

    def clear_days_unused(self) -> None:
        """Drop a weekday, a day of the month or a month of the period the recurrence does not
        use: left from another recurrence, the plan's page would show it as if it counted."""
        if self.recurrence != Recurrence.WEEKLY:
            self.weekday = None
        if self.recurrence in (Recurrence.DAILY, Recurrence.WEEKLY):
            self.day_of_month = None
        if MONTHS_PER_PERIOD.get(self.recurrence, 0) <= 1:
            self.period_month = None

    @property
    def is_survey(self) -> bool:
        return self.activity == PlanActivity.SURVEY

    @property
    def kind_label(self) -> str:
        """What an occurrence is: the inspection's tier, or an opinion survey."""
        return self.activity.label if self.is_survey else self.tier.label

    @property
    def sites(self):
        return [stop.site for stop in self.stops]


class PlanStop(db.Model):
    """One place on a plan's route, in walking order, with the check points asked there
    (none chosen: every point the plan's line or contractor has)."""

    __tablename__ = "plan_stops"
    __table_args__ = (sa.UniqueConstraint("plan_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection_plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)

    plan: Mapped[InspectionPlan] = relationship(back_populates="stops")
    site = relationship("Site")
    check_points = relationship("CheckPoint", secondary=plan_stop_points)


class VisitState(LabelledEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    DUE = "due"
    MISSED = "missed"
    UPCOMING = "upcoming"


VisitState.LABELS = {
    VisitState.DONE: _l("Done"),
    VisitState.IN_PROGRESS: _l("In progress"),
    VisitState.DUE: _l("Due"),
    VisitState.MISSED: _l("Missed"),
    VisitState.UPCOMING: _l("Upcoming"),
}
