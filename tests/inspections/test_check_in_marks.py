"""A check-in (the scan of a place's QR code) far from the place is the inspector's presence:
marked for the supervisors on the inspection, never shown to a contractor, never counted
against one."""

import pytest
import sqlalchemy as sa

from app.catalog.models import Severity, SiteKind
from app.core.evidence import EvidenceMark, Position
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.inspections.evidence import record_check_in
from app.inspections.starting import start_self_check
from tests.helpers import login

PLACE = (32.0600, 118.7800)
FAR = Position(PLACE[0] + 0.01, PLACE[1], accuracy_m=20)  # about 1.1 km north


@pytest.fixture
def self_check(cast, make_check_point, make_site):
    """The one inspection a contractor's users open, its own self-check, here carrying a
    check-in far from the lobby: what they may see of it and what they may not."""
    building = make_site("综合楼", SiteKind.BUILDING)
    building.latitude, building.longitude = PLACE
    lobby = make_site("大堂", SiteKind.AREA, building)
    point = make_check_point(
        line_code="CLN", category="公共区域", title="大堂地面", severity=Severity.GENERAL
    )
    cast.own.service_lines, cast.own.sites = [point.category.service_line], [lobby]
    inspection = start_self_check(cast.own, lobby, cast.owner)
    record_check_in(inspection, lobby, utcnow(), FAR)
    db.session.commit()
    return inspection


def test_the_first_scan_gives_the_time_and_each_far_one_a_mark(self_check):
    first = self_check.scanned_at
    record_check_in(self_check, self_check.sites[0], utcnow(), None)
    db.session.commit()
    assert self_check.scanned_at == first
    assert (self_check.scan_latitude, self_check.scan_accuracy_m) == (FAR.latitude, 20)
    marks = db.session.scalars(sa.select(EvidenceMark)).all()
    assert [(m.photo_kind, m.photo_id, m.contractor_id) for m in marks] == [
        ("check_in", self_check.id, None)
    ]
    assert marks[0].detail["metres"] == pytest.approx(1112, abs=2)


def test_supervisors_see_a_far_check_in_and_the_contractor_does_not(client, cast, self_check):
    metres = db.session.scalar(sa.select(EvidenceMark)).detail["metres"]
    login(client, cast.manager)
    assert f"距场所约 {metres} 米" in client.get(f"/inspections/{self_check.id}").text
    client.post("/logout")

    login(client, cast.owner)
    for page in (f"/inspections/{self_check.id}", f"/inspections/{self_check.id}/run"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert "距场所约" not in answer.text
        assert str(FAR.latitude) not in answer.text, "nor where the phone was"
