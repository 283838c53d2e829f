"""Records with sensible defaults, shared by the demo, the benchmarks and the tests.

Each function adds one record (and what it cannot be without) to the session, flushes it so
that it has its id, and returns it; keyword arguments override the defaults. The caller
commits. Records that the domain makes through an action (a submitted inspection, a notice,
a complaint) are made through that action, not here.
"""

import io
import itertools
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from app.auth.models import Role, User
from app.catalog.models import (
    Certificate,
    CheckCategory,
    CheckPoint,
    Contractor,
    ServiceLine,
    Severity,
    Site,
    SiteKind,
    StaffMember,
)
from app.core.extensions import db
from app.core.timeutil import local_today
from app.feedback.models import Survey
from app.inspections.models import (
    Answer,
    Finding,
    Inspection,
    InspectionItem,
    Party,
    Schedule,
    Scope,
    Status,
    Tier,
)
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence

_serial = itertools.count(1)

# Where the demo compound is (a city centre), so that a check-in or a photo taken far from it is
# marked; the places inside it are where it is.
COMPOUND_LOCATION = (32.0603, 118.7969)


def _added(record):
    db.session.add(record)
    db.session.flush()
    return record


def contractor(**fields) -> Contractor:
    """A contractor mid-way through a three-year contract."""
    n = next(_serial)
    today = local_today()
    values = dict(
        name=f"测试服务有限公司{n}",
        short_name=f"测试{n}",
        licence_no="91320100MA1N2K3L42",
        contract_start=today - timedelta(days=200),
        contract_end=today + timedelta(days=500),
        contract_value=Decimal("1000000"),
        deposit_share=Decimal("5"),
        satisfaction_target=Decimal("90"),
    )
    return _added(Contractor(**values | fields))


def site(name="1号楼", kind=SiteKind.COMPOUND, parent=None, code=None, **fields) -> Site:
    return _added(
        Site(name=name, kind=kind, parent=parent, code=code or f"S{next(_serial)}", **fields)
    )


def service_line(code="CLN", name=None) -> ServiceLine:
    """The service line of this code, made if the catalogue has none."""
    line = db.session.query(ServiceLine).filter_by(code=code).one_or_none()
    return line or _added(ServiceLine(code=code, name=name or f"服务{code}"))


def check_category(line: ServiceLine | None, name="公共区域") -> CheckCategory:
    """The category of this name under the line (or under none: the block checks), made if
    absent."""
    line_id = line.id if line else None
    category = (
        db.session.query(CheckCategory).filter_by(service_line_id=line_id, name=name).one_or_none()
    )
    return category or _added(CheckCategory(service_line_id=line_id, name=name))


def check_point(
    line_code="CLN",
    category="公共区域",
    severity=Severity.GENERAL,
    deduction="1",
    block_only=False,
    **fields,
) -> CheckPoint:
    """A check point in a category of the line (of the block checks if block_only)."""
    line = None if block_only else service_line(line_code)
    n = next(_serial)
    values = dict(code=f"T-{n:04d}", title=f"检查点{n}", standard="地面无污渍")
    return _added(
        CheckPoint(
            category_id=check_category(line, category).id,
            severity=severity,
            deduction=Decimal(deduction),
            **values | fields,
        )
    )


def user(role=Role.INSPECTOR, company=None, username=None, password=None, **fields) -> User:
    """An account of the role, with a password (or none yet, waiting for an invitation); a
    contractor's account gets a new contractor unless given one. No audit event: the app's
    create_user is the action that records one."""
    role = Role(role)
    if role in (Role.CONTRACTOR, Role.CONTRACTOR_ADMIN) and company is None:
        company = contractor()
    account = User(
        username=username or f"{role.value}{next(_serial)}",
        display_name=fields.pop("display_name", "测试用户"),
        role=role,
        contractor_id=company.id if company else None,
        **fields,
    )
    if password is None:
        account.set_no_password()
    else:
        account.set_password(password)
    return _added(account)


def staff_member(company=None, name=None, post="保洁员", **fields) -> StaffMember:
    return _added(
        StaffMember(
            contractor=company or contractor(),
            name=name or f"员工{next(_serial)}",
            post=post,
            **fields,
        )
    )


def certificate(staff=None, kind="健康证", expires_in_days=100, **fields) -> Certificate:
    """A certificate expiring so many days from today (negative: expired)."""
    expires = local_today() + timedelta(days=expires_in_days)
    values = dict(number="X1", issued_on=min(expires, date(2020, 1, 1)))
    return _added(
        Certificate(
            staff_member=staff or staff_member(),
            kind=kind,
            expires_on=expires,
            **values | fields,
        )
    )


def plan(
    name: str,
    stops: list[Site],
    inspectors: list[User],
    starts_on: date,
    recurrence=Recurrence.DAILY,
    tier=Tier.DAILY,
    scope=Scope.STRIP,
    **fields,
) -> InspectionPlan:
    """An inspection plan visiting the stops in order."""
    return _added(
        InspectionPlan(
            name=name,
            recurrence=recurrence,
            tier=tier,
            scope=scope,
            starts_on=starts_on,
            stops=[PlanStop(site=stop, position=n) for n, stop in enumerate(stops, start=1)],
            inspectors=inspectors,
            **fields,
        )
    )


def survey(created_by: User, opens_on: date, closes_on: date, **fields) -> Survey:
    """A quarter's survey, titled after the quarter it opens in."""
    quarter = (opens_on.month - 1) // 3 + 1
    values = dict(
        title=f"{opens_on.year}年第{quarter}季度后勤服务满意度征询",
        quarter=f"{opens_on.year}-Q{quarter}",
    )
    return _added(
        Survey(opens_on=opens_on, closes_on=closes_on, created_by=created_by, **values | fields)
    )


def failed_inspection(
    company: Contractor,
    place: Site,
    inspector: User,
    points: list[CheckPoint],
    at: datetime,
    tier=Tier.MONTHLY,
    note="基准问题",
) -> Inspection:
    """A submitted inspection, written straight as rows, that failed every point given, each
    a finding: figures for a month in bulk, without the cost of the actions that record one
    answer at a time."""
    inspection = Inspection(
        scope=Scope.BLOCK,
        schedule=Schedule.SCHEDULED,
        party=Party.INTERNAL,
        tier=tier,
        status=Status.SUBMITTED,
        created_by=inspector,
        sites=[place],
        contractors=[company],
        inspectors=[inspector],
        started_at=at - timedelta(hours=1),
        ended_at=at,
    )
    for position, point in enumerate(points):
        item = InspectionItem(
            inspection=inspection,
            position=position,
            check_point=point,
            contractor=company,
            site=place,
            category="基准",
            code=point.code,
            title=point.title,
            standard=point.standard,
            severity=point.severity,
            deduction=point.deduction,
            answer=Answer.FAIL,
            note=note,
        )
        db.session.add(
            Finding(
                inspection=inspection,
                item=item,
                check_point=point,
                contractor=company,
                site=place,
                severity=Severity.GENERAL,
                deduction=Decimal("0.5"),
                title=point.title,
                standard=point.standard,
                note=note,
                found_at=at,
            )
        )
    return _added(inspection)


def photo(seed: int) -> bytes:
    """A stand-in for a phone photo: a coloured scene with a marked problem area."""
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600), tuple(rng.randrange(90, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(0, 700), rng.randrange(0, 500)
        shade = tuple(rng.randrange(40, 230) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(30, 200), y + rng.randrange(30, 140)), fill=shade)
    x, y = rng.randrange(100, 500), rng.randrange(100, 400)
    draw.ellipse((x, y, x + 180, y + 140), outline=(220, 0, 0), width=10)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def signature(seed: int) -> bytes:
    """A stand-in for a signature drawn with a finger: a few strokes on a clear PNG."""
    rng = random.Random(seed)
    image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x = 30
    for _ in range(3):
        points = []
        for _ in range(rng.randrange(4, 8)):
            x += rng.randrange(10, 40)
            points.append((min(x, 460), rng.randrange(30, 130)))
        draw.line(points, fill=(20, 20, 20, 255), width=5, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
