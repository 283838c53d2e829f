"""The catalogue: service lines, check points, contractors, sites, staff and certificates."""

import math
import secrets
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import LabelledEnum, db, enum_type

contractor_service_lines = sa.Table(
    "contractor_service_lines",
    db.metadata,
    sa.Column(
        "contractor_id", sa.ForeignKey("contractors.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "service_line_id", sa.ForeignKey("service_lines.id", ondelete="CASCADE"), primary_key=True
    ),
)

contractor_sites = sa.Table(
    "contractor_sites",
    db.metadata,
    sa.Column(
        "contractor_id", sa.ForeignKey("contractors.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("site_id", sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Area(LabelledEnum):
    """The seven areas of the national standard TC607, by which results are totalled."""

    CUSTOMER_SERVICE = "customer_service"
    BUILDING = "building"
    FACILITIES = "facilities"
    ORDER = "order"
    CLEANING = "cleaning"
    GREENING = "greening"
    MEETINGS = "meetings"


Area.LABELS = {
    Area.CUSTOMER_SERVICE: _l("Customer service"),
    Area.BUILDING: _l("Building management"),
    Area.FACILITIES: _l("Shared facilities and equipment"),
    Area.ORDER: _l("Public order"),
    Area.CLEANING: _l("Cleaning"),
    Area.GREENING: _l("Greening"),
    Area.MEETINGS: _l("Meeting services"),
}


class ServiceLine(db.Model):
    """A service item (服务项目) such as cleaning or security."""

    __tablename__ = "service_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # None for a bureau's own line that fits none of the national standard's areas
    area: Mapped[Area | None] = mapped_column(enum_type(Area), nullable=True)

    categories: Mapped[list["CheckCategory"]] = relationship(
        back_populates="service_line", order_by="CheckCategory.position"
    )
    contractors: Mapped[list["Contractor"]] = relationship(
        secondary=contractor_service_lines, back_populates="service_lines"
    )

    def __str__(self) -> str:
        return self.name


class CheckCategory(db.Model):
    """A group of check points. Without a service line it holds block-check points
    (certificates, labour compliance, dress and language) that apply to every contractor."""

    __tablename__ = "check_categories"
    __table_args__ = (sa.UniqueConstraint("service_line_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_lines.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    service_line: Mapped[ServiceLine | None] = relationship(back_populates="categories")
    check_points: Mapped[list["CheckPoint"]] = relationship(
        back_populates="category", order_by="CheckPoint.position"
    )

    @property
    def block_only(self) -> bool:
        return self.service_line_id is None

    def __str__(self) -> str:
        return self.name


class Severity(LabelledEnum):
    GENERAL = "general"
    MAJOR = "major"
    CRITICAL = "critical"


Severity.LABELS = {
    Severity.GENERAL: _l("General"),
    Severity.MAJOR: _l("Major"),
    Severity.CRITICAL: _l("Critical"),
}


class Frequency(LabelledEnum):
    """How often a check point is checked."""

    DAILY = "daily"
    WEEKLY = "weekly"
    HALF_MONTHLY = "half_monthly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


Frequency.LABELS = {
    Frequency.DAILY: _l("Daily"),
    Frequency.WEEKLY: _l("Weekly"),
    Frequency.HALF_MONTHLY: _l("Twice a month"),
    Frequency.MONTHLY: _l("Monthly"),
    Frequency.QUARTERLY: _l("Quarterly"),
}


class CheckPoint(db.Model):
    """One line of a checklist: the standard, what good looks like, what a failure costs."""

    __tablename__ = "check_points"
    __table_args__ = (
        sa.CheckConstraint("deduction >= 0 AND deduction <= 100", name="deduction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("check_categories.id"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    standard: Mapped[str] = mapped_column(sa.Text, nullable=False)
    good_practice: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    severity: Mapped[Severity] = mapped_column(enum_type(Severity), nullable=False)
    deduction: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    frequency: Mapped[Frequency] = mapped_column(
        enum_type(Frequency),
        nullable=False,
        default=Frequency.MONTHLY,
        server_default=Frequency.MONTHLY.value,
    )
    reference_photo: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    category: Mapped[CheckCategory] = relationship(back_populates="check_points")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SiteKind(LabelledEnum):
    COMPOUND = "compound"
    BUILDING = "building"
    FLOOR = "floor"
    AREA = "area"


SiteKind.LABELS = {
    SiteKind.COMPOUND: _l("Compound"),
    SiteKind.BUILDING: _l("Building"),
    SiteKind.FLOOR: _l("Floor"),
    SiteKind.AREA: _l("Room / area"),
}

# Which kind of place may sit directly under which.
SITE_CHILD_KINDS = {
    None: (SiteKind.COMPOUND,),
    SiteKind.COMPOUND: (SiteKind.BUILDING, SiteKind.AREA),
    SiteKind.BUILDING: (SiteKind.FLOOR, SiteKind.AREA),
    SiteKind.FLOOR: (SiteKind.AREA,),
    SiteKind.AREA: (),
}


def new_scan_token() -> str:
    return secrets.token_urlsafe(16)


class Site(db.Model):
    """A place in the tree compound → building → floor → room/area."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sites.id"), nullable=True, index=True
    )
    kind: Mapped[SiteKind] = mapped_column(enum_type(SiteKind), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # printed in the place's QR code; unguessable, so a scan proves someone stood there
    scan_token: Mapped[str] = mapped_column(
        sa.String(32), unique=True, nullable=False, default=new_scan_token
    )
    # where the place is, for telling a photo taken far from it (typed, or a manager's phone)
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)

    parent: Mapped["Site | None"] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list["Site"]] = relationship(
        back_populates="parent", order_by="Site.position, Site.name"
    )
    contractors: Mapped[list["Contractor"]] = relationship(
        secondary=contractor_sites, back_populates="sites"
    )

    @property
    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    @property
    def location(self) -> tuple[float, float] | None:
        """Where the place is: its own coordinates, else those of the nearest place it is in
        (a room is where its building is)."""
        node = self
        while node is not None:
            if node.latitude is not None and node.longitude is not None:
                return node.latitude, node.longitude
            node = node.parent
        return None

    def __str__(self) -> str:
        return self.path


RETENDER_YEARS = 3  # every contract is re-tendered after this many years


class Contractor(db.Model):
    """A service company (承包单位) under contract with the bureau."""

    __tablename__ = "contractors"
    __table_args__ = (
        sa.CheckConstraint("contract_end >= contract_start", name="contract_period"),
        sa.CheckConstraint("deposit_share >= 0 AND deposit_share <= 100", name="deposit_share"),
        sa.CheckConstraint(
            "satisfaction_target >= 0 AND satisfaction_target <= 100", name="satisfaction_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    licence_no: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    contact_person: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    contract_start: Mapped[date] = mapped_column(nullable=False)
    contract_end: Mapped[date] = mapped_column(nullable=False)
    contract_value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    deposit_share: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    satisfaction_target: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    service_lines: Mapped[list[ServiceLine]] = relationship(
        secondary=contractor_service_lines,
        back_populates="contractors",
        order_by="ServiceLine.position",
    )
    sites: Mapped[list[Site]] = relationship(
        secondary=contractor_sites, back_populates="contractors", order_by="Site.code"
    )
    staff: Mapped[list["StaffMember"]] = relationship(
        back_populates="contractor", order_by="StaffMember.name"
    )
    users = relationship("User", back_populates="contractor")

    @property
    def deposit_amount(self) -> Decimal:
        return (self.contract_value * self.deposit_share / 100).quantize(Decimal("0.01"))

    def contract_years(self, today: date) -> float:
        return (today - self.contract_start).days / 365.25

    def due_for_retender(self, today: date) -> bool:
        """Every contract is re-tendered after three years."""
        return self.contract_years(today) >= RETENDER_YEARS

    @classmethod
    def due_for_retender_on(cls, today: date):
        """SQL for `due_for_retender`: three years of 365.25 days are 1095.75 days, so a
        contract is due once 1096 whole days have passed since it started."""
        days = math.ceil(RETENDER_YEARS * 365.25)
        return cls.contract_start <= today - timedelta(days=days)

    def contract_ends_within(self, today: date, days: int) -> bool:
        return today <= self.contract_end <= today + timedelta(days=days)

    @classmethod
    def contract_ending_within(cls, today: date, days: int):
        """SQL for `contract_ends_within`."""
        return cls.contract_end.between(today, today + timedelta(days=days))

    def __str__(self) -> str:
        return self.short_name or self.name


class StaffMember(db.Model):
    """A contractor's employee working on the bureau's premises."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    post: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    contractor: Mapped[Contractor] = relationship(back_populates="staff")
    certificates: Mapped[list["Certificate"]] = relationship(
        back_populates="staff_member",
        order_by="Certificate.expires_on",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return self.name


class Certificate(db.Model):
    """A licence a staff member must hold: 上岗证, 健康证, a special-operations permit."""

    __tablename__ = "certificates"
    __table_args__ = (sa.CheckConstraint("expires_on >= issued_on", name="validity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_members.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    number: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    issued_on: Mapped[date] = mapped_column(nullable=False)
    expires_on: Mapped[date] = mapped_column(nullable=False, index=True)

    staff_member: Mapped[StaffMember] = relationship(back_populates="certificates")

    def is_expired(self, today: date) -> bool:
        return self.expires_on < today

    def expires_soon(self, today: date, days: int) -> bool:
        return not self.is_expired(today) and self.expires_on <= today + timedelta(days=days)
