"""The check-in: scanning a place's QR code sends where the phone is, the inspection keeps it,
and a scan farther from the place than the managers' radius plus the phone's accuracy is
marked for the supervisors on the checklist and the report."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.catalog.rules import DEFAULT_EVIDENCE_POLICY, EvidencePolicy
from app.core.audit import AuditEvent
from app.core.evidence import EvidenceMark, MarkKind, mark_counts
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, local_today, utcnow
from app.inspections.models import Inspection, Scope, Tier
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence
from tests.helpers import login

MOMENT = datetime(2026, 12, 7, 9, 30, tzinfo=LOCAL_TZ)  # a Monday morning at the bureau
PLACE = (32.0600, 118.7800)
METRES_PER_DEGREE_OF_LATITUDE = 111_195


@pytest.fixture
def patrol(make_user, make_site, make_contractor, make_check_point):
    """A daily cleaning patrol of a lobby, in a building whose location is known (the
    lobby's own is not), on a clock fixed at MOMENT."""
    with time_machine.travel(MOMENT, tick=True):
        point = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
        building = make_site("综合楼", SiteKind.BUILDING)
        building.latitude, building.longitude = PLACE
        lobby = make_site("大堂", SiteKind.AREA, building)
        cleaner = make_contractor(name="宏达物业")
        cleaner.service_lines, cleaner.sites = [point.category.service_line], [building]
        inspector = make_user(Role.INSPECTOR)
        plan = InspectionPlan(
            name="综合楼日常巡检",
            recurrence=Recurrence.DAILY,
            starts_on=local_today() - timedelta(days=3),
            tier=Tier.DAILY,
            scope=Scope.STRIP,
            service_line=point.category.service_line,
            stops=[PlanStop(site=lobby, position=1)],
            inspectors=[inspector, make_user(Role.INSPECTOR)],
        )
        db.session.add(plan)
        db.session.commit()
        yield {"plan": plan, "lobby": lobby, "inspector": inspector}


def north_of_the_place(metres: float, accuracy: float | None = 30) -> dict:
    """The scan form's hidden fields as location.js fills them."""
    fields = {"latitude": str(PLACE[0] + metres / METRES_PER_DEGREE_OF_LATITUDE)}
    fields["longitude"] = str(PLACE[1])
    if accuracy is not None:
        fields["accuracy"] = str(accuracy)
    return fields


def scan(client, patrol, **fields) -> Inspection:
    """Scan the lobby's code and start (or continue) the patrol there: the checklist opens."""
    response = client.post(f"/scan/{patrol['lobby'].scan_token}", data=fields)
    assert response.status_code == 302 and response.headers["Location"].endswith("/run")
    db.session.expire_all()
    return db.session.scalar(sa.select(Inspection).where(Inspection.plan_id == patrol["plan"].id))


def check_in_marks(inspection) -> list[EvidenceMark]:
    return list(
        db.session.scalars(
            sa.select(EvidenceMark)
            .where(EvidenceMark.photo_kind == "check_in", EvidenceMark.photo_id == inspection.id)
            .order_by(EvidenceMark.id)
        )
    )


def test_a_check_in_far_from_the_place_is_marked_and_shown_to_supervisors(client, patrol):
    login(client, patrol["inspector"])
    inspection = scan(client, patrol, **north_of_the_place(850))

    assert inspection.scanned_at is not None
    assert inspection.scan_latitude == pytest.approx(PLACE[0] + 850 / 111_195)
    assert (inspection.scan_longitude, inspection.scan_accuracy_m) == (PLACE[1], 30)
    [mark] = check_in_marks(inspection)
    assert mark.kind == MarkKind.FAR_FROM_PLACE and mark.detail == {"metres": 850}
    assert mark.contractor_id is None, "the inspector's presence, no contractor's evidence"
    checklist = client.get(f"/inspections/{inspection.id}/run").text
    report = client.get(f"/inspections/{inspection.id}").text
    for page in (checklist, report):
        assert "扫码到岗" in page and "距场所约 850 米" in page
    # counted against no contractor on the analysis page
    assert mark_counts(utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)) == {}


@pytest.mark.parametrize(
    "fields",
    [
        north_of_the_place(150),
        north_of_the_place(300, accuracy=150),  # past the radius, within the phone's accuracy
        {},  # no script, or the phone would not tell
    ],
    ids=["near", "near-enough-for-its-accuracy", "unknown"],
)
def test_a_near_or_unknown_check_in_is_not_marked(client, patrol, fields):
    login(client, patrol["inspector"])
    inspection = scan(client, patrol, **fields)
    assert inspection.scanned_at is not None
    assert check_in_marks(inspection) == []
    assert "距场所约" not in client.get(f"/inspections/{inspection.id}").text


def test_the_managers_radius_is_used(client, patrol):
    db.session.add(EvidencePolicy(id=1, **{**DEFAULT_EVIDENCE_POLICY, "presence_radius_m": 1000}))
    db.session.commit()
    login(client, patrol["inspector"])
    assert check_in_marks(scan(client, patrol, **north_of_the_place(850))) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": "91", "longitude": "118.78", "accuracy": "20"},
        {"latitude": "32.06", "longitude": "-181", "accuracy": "20"},
        {"latitude": "north", "longitude": "118.78"},
        {"latitude": "nan", "longitude": "nan", "accuracy": "nan"},
        {"latitude": "1e400", "longitude": "118.78"},
        {"latitude": "32.06"},
        {"latitude": "", "longitude": "", "accuracy": ""},
    ],
)
def test_coordinates_that_are_no_place_are_ignored_and_the_patrol_starts(client, patrol, fields):
    login(client, patrol["inspector"])
    inspection = scan(client, patrol, **fields)
    assert inspection.scanned_at is not None
    assert (inspection.scan_latitude, inspection.scan_longitude) == (None, None)
    assert check_in_marks(inspection) == []


def test_an_accuracy_that_is_no_distance_is_left_out_and_the_scan_is_still_judged(client, patrol):
    login(client, patrol["inspector"])
    inspection = scan(client, patrol, **north_of_the_place(850, accuracy="inf"))
    assert inspection.scan_accuracy_m is None
    assert [mark.detail for mark in check_in_marks(inspection)] == [{"metres": 850}]


def test_each_scan_of_a_continued_patrol_is_judged_and_the_latest_location_kept(client, patrol):
    login(client, patrol["inspector"])
    first = scan(client, patrol, **north_of_the_place(850))
    scanned_at = first.scanned_at
    with time_machine.travel(MOMENT + timedelta(minutes=20), tick=False):
        again = scan(client, patrol, **north_of_the_place(20, accuracy=10))
        later = scan(client, patrol, **north_of_the_place(2000))
    assert first.id == again.id == later.id, "one inspection for the stop, continued"
    assert later.scanned_at == scanned_at, "the check-in's time is the first scan's"
    assert later.scan_latitude == pytest.approx(PLACE[0] + 2000 / 111_195), "the latest"
    assert [mark.detail["metres"] for mark in check_in_marks(later)] == [850, 2000]
    scans = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "qr_scanned")
    )
    assert scans == 3
    report = client.get(f"/inspections/{later.id}").text
    assert "距场所约 850 米" in report and "距场所约 2000 米" in report


def test_a_check_in_made_without_a_location_of_the_place_is_not_judged(client, patrol):
    building = patrol["lobby"].parent
    building.latitude = building.longitude = None
    db.session.commit()
    login(client, patrol["inspector"])
    inspection = scan(client, patrol, **north_of_the_place(850))
    assert inspection.scan_latitude is not None, "kept all the same"
    assert check_in_marks(inspection) == []
