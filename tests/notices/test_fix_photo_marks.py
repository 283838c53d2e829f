"""Marks on fix photos: taken before the notice was issued, used before (the finding's own
photo sent back as the fix), taken far from the place; shown to supervisors only and counted
per contractor on /analysis."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.catalog.models import Severity, SiteKind
from app.core.evidence import EvidenceMark, MarkKind, Position
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, utcnow
from app.feedback.complaints import file_complaint
from app.feedback.models import ComplaintChannel
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.deadlines import ensure_default_rules
from app.notices.lifecycle import acknowledge, draft_notices, issue, report_fix
from tests.evidence_photos import reencoded, scene
from tests.helpers import login

PLACE = (32.0600, 118.7800)


@pytest.fixture
def notice(cast, make_check_point, make_site):
    """An acknowledged notice to the caterer for a failed food-safety point, with its photo
    (scene 1), issued an hour ago."""
    ensure_default_rules()
    kitchen = make_site("后厨", SiteKind.AREA)
    kitchen.latitude, kitchen.longitude = PLACE
    food = make_check_point(
        line_code="CAT", category="食品安全", title="食品留样", severity=Severity.CRITICAL
    )
    cast.own.service_lines, cast.own.sites = [food.category.service_line], [kitchen]
    db.session.commit()
    inspection = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
    [item] = inspection.items
    record_answer(item, Answer.FAIL, cast.inspector)
    record_note(item, "留样不足", cast.inspector)
    attach_photo(item, scene(1), cast.inspector)
    submit(inspection, cast.inspector)
    [made] = draft_notices(inspection, cast.inspector)
    issue(made, cast.inspector, now=utcnow() - timedelta(hours=1))
    acknowledge(made, cast.owner)
    db.session.commit()
    return made


def camera_clock(ago: timedelta):
    return (utcnow() - ago).astimezone(LOCAL_TZ).replace(tzinfo=None)


def fix_marks(notice) -> list[EvidenceMark]:
    ids = [photo.id for item in notice.items for photo in item.fix_photos]
    return list(
        db.session.scalars(
            sa.select(EvidenceMark)
            .where(EvidenceMark.photo_kind == "fix", EvidenceMark.photo_id.in_(ids))
            .order_by(EvidenceMark.id)
        )
    )


def test_a_fix_photo_taken_before_the_notice_was_issued_is_caught(cast, notice):
    old = scene(2, taken=camera_clock(timedelta(hours=3)))
    report_fix(notice.items[0], cast.owner, "已补足留样", [old])
    db.session.commit()
    [mark] = fix_marks(notice)
    assert mark.kind == MarkKind.TAKEN_BEFORE_NOTICE and mark.contractor_id == cast.own.id
    assert mark.words == "拍摄时间早于通知下达"


def test_a_fix_photo_taken_after_the_notice_is_not_marked(cast, notice):
    fresh = scene(2, taken=camera_clock(timedelta(minutes=20)))
    report_fix(notice.items[0], cast.owner, "已补足留样", [fresh])
    db.session.commit()
    assert fix_marks(notice) == []


def test_the_findings_own_photo_sent_back_as_the_fix_is_caught(cast, notice):
    report_fix(notice.items[0], cast.owner, "已补足留样", [reencoded(scene(1), scale=0.6)])
    db.session.commit()
    [mark] = fix_marks(notice)
    assert mark.kind == MarkKind.REUSED
    inspection_id = notice.items[0].finding.inspection_id
    assert mark.link == f"/inspections/{inspection_id}"


def test_a_fix_photo_long_before_it_was_sent_is_marked(cast, notice):
    notice.issued_at = utcnow() - timedelta(days=5)
    stale = scene(3, taken=camera_clock(timedelta(days=3)))
    report_fix(notice.items[0], cast.owner, "已补足留样", [stale])
    db.session.commit()
    assert [mark.kind for mark in fix_marks(notice)] == [MarkKind.TAKEN_LONG_BEFORE_SENT]


def test_a_fix_sent_far_from_the_place_is_marked(cast, notice):
    far = Position(PLACE[0] + 0.01, PLACE[1], accuracy_m=20)  # about 1.1 km north
    report_fix(notice.items[0], cast.owner, "已补足留样", [scene(4)], position=far)
    db.session.commit()
    [mark] = fix_marks(notice)
    assert mark.kind == MarkKind.FAR_FROM_PLACE and mark.words == "距场所约 1112 米"


def test_the_fix_route_sends_where_the_phone_was(client, cast, notice):
    login(client, cast.owner)
    item = notice.items[0]
    response = client.post(
        f"/notices/{notice.id}/items/{item.id}/fix",
        data={
            "note": "已补足留样",
            "photos": [(io.BytesIO(scene(5)), "fix.jpg")],
            "latitude": str(PLACE[0] + 0.01),
            "longitude": str(PLACE[1]),
            "accuracy": "15",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    [photo] = notice.items[0].fix_photos
    assert (photo.latitude, photo.longitude, photo.accuracy_m) == (PLACE[0] + 0.01, PLACE[1], 15)
    assert [mark.kind for mark in fix_marks(notice)] == [MarkKind.FAR_FROM_PLACE]


def test_supervisors_see_the_marks_and_the_contractor_does_not(client, cast, notice):
    report_fix(notice.items[0], cast.owner, "已补足留样", [scene(1)])
    db.session.commit()
    words = f"与 检查 #{notice.items[0].finding.inspection_id} 的照片相同"
    login(client, cast.inspector)
    assert words in client.get(f"/notices/{notice.id}").text
    client.post("/logout")
    login(client, cast.owner)
    page = client.get(f"/notices/{notice.id}").text
    assert "已补足留样" in page and words not in page and "evidence-marks" not in page


def test_a_complaints_photo_used_before_is_marked(cast, notice):
    complaint, _token = file_complaint(
        ComplaintChannel.HOTLINE, "留样", "食堂留样不足", logged_by=cast.manager, photos=[scene(1)]
    )
    db.session.commit()
    [mark] = db.session.scalars(
        sa.select(EvidenceMark).where(EvidenceMark.photo_id == complaint.photos[0].id)
    )
    assert mark.kind == MarkKind.REUSED and mark.photo_kind == "complaint"


def test_analysis_counts_marks_per_contractor(client, cast, notice):
    report_fix(notice.items[0], cast.owner, "已补足留样", [scene(1)])
    db.session.commit()
    login(client, cast.manager)
    page = client.get("/analysis").text
    assert "被标记的照片" in page and "照片曾被使用 1" in page
    client.post("/logout")
    login(client, cast.outsider)  # another contractor's user: its own company only
    assert "照片曾被使用" not in client.get("/analysis").text
