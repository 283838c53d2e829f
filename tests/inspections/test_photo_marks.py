"""Marks on checklist photos: far from the item's place, used before, taken long before it
was sent, and (when managers require the camera) not taken there and then."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.catalog.models import Severity, SiteKind
from app.catalog.rules import DEFAULT_EVIDENCE_POLICY, EvidencePolicy
from app.core.evidence import EvidenceMark, HashBand, MarkKind
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Scope
from app.inspections.recording import attach_photo, remove_photo
from tests.evidence_photos import reencoded, scene

PLACE = (32.0600, 118.7800)
METRES_PER_DEGREE_OF_LATITUDE = 111_195


@pytest.fixture
def kitchen(cast, make_check_point, make_site):
    """A kitchen in a compound whose location is known (the kitchen's own is not)."""
    compound = make_site("机关大院", SiteKind.COMPOUND)
    compound.latitude, compound.longitude = PLACE
    kitchen = make_site("后厨", SiteKind.AREA, compound)
    food = make_check_point(
        line_code="CAT", category="食品安全", title="食品留样", severity=Severity.CRITICAL
    )
    make_check_point(line_code="CAT", category="厨房环境", title="地面排水")
    cast.own.service_lines, cast.own.sites = [food.category.service_line], [kitchen]
    db.session.commit()
    return kitchen


@pytest.fixture
def checklist(cast, kitchen):
    inspection = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
    db.session.commit()
    return inspection


def marks_of(photo) -> list[EvidenceMark]:
    return list(
        db.session.scalars(
            sa.select(EvidenceMark).where(
                EvidenceMark.photo_kind == "inspection", EvidenceMark.photo_id == photo.id
            )
        )
    )


def kinds_of(photo) -> list[MarkKind]:
    return [mark.kind for mark in marks_of(photo)]


def north_of_the_place(metres: float) -> dict:
    return {"latitude": PLACE[0] + metres / METRES_PER_DEGREE_OF_LATITUDE, "longitude": PLACE[1]}


def camera_clock(ago: timedelta):
    """What a camera in the bureau writes in EXIF for a photo taken `ago`."""
    return (utcnow() - ago).astimezone(LOCAL_TZ).replace(tzinfo=None)


def test_a_photo_far_from_the_place_is_marked_and_a_near_one_is_not(cast, checklist):
    item = checklist.items[0]
    far = attach_photo(item, scene(1), cast.inspector, **north_of_the_place(850), accuracy_m=30)
    near = attach_photo(item, scene(2), cast.inspector, **north_of_the_place(150), accuracy_m=30)
    # past the radius, but within it once the phone's own accuracy is allowed for
    unsure = attach_photo(item, scene(3), cast.inspector, **north_of_the_place(300), accuracy_m=150)
    unplaced = attach_photo(item, scene(4), cast.inspector)
    db.session.commit()
    [mark] = marks_of(far)
    assert mark.kind == MarkKind.FAR_FROM_PLACE and mark.detail["metres"] == 850
    assert mark.contractor_id == cast.own.id
    assert mark.words == "距场所约 850 米"
    assert kinds_of(near) == kinds_of(unsure) == kinds_of(unplaced) == []


def test_the_managers_radius_is_used(cast, checklist):
    db.session.add(EvidencePolicy(id=1, **{**DEFAULT_EVIDENCE_POLICY, "presence_radius_m": 1000}))
    photo = attach_photo(checklist.items[0], scene(1), cast.inspector, **north_of_the_place(850))
    assert kinds_of(photo) == []


def test_a_photo_used_before_is_caught_though_re_encoded_and_resized(cast, kitchen, checklist):
    first, second = checklist.items
    original = attach_photo(first, scene(5), cast.inspector)
    again_here = attach_photo(first, scene(5), cast.inspector)  # the same item: not a reuse
    same_file = attach_photo(second, scene(5), cast.inspector)
    db.session.commit()
    later = start_inspection(Plan(Scope.BLOCK, kitchen), cast.second_inspector)
    db.session.commit()
    resized = attach_photo(later.items[0], reencoded(scene(5)), cast.second_inspector)
    fresh = attach_photo(later.items[1], scene(6), cast.second_inspector)
    db.session.commit()
    assert kinds_of(original) == kinds_of(again_here) == kinds_of(fresh) == []
    for photo in (same_file, resized):
        [mark] = marks_of(photo)
        assert mark.kind == MarkKind.REUSED
        assert mark.detail["photo_id"] == original.id
        assert mark.link == f"/inspections/{checklist.id}"
        assert mark.words == f"与 检查 #{checklist.id} 的照片相同"


def test_a_photo_taken_long_before_it_was_sent_is_marked(cast, checklist):
    old = attach_photo(
        checklist.items[0], scene(7, taken=camera_clock(timedelta(hours=30))), cast.inspector
    )
    recent = attach_photo(
        checklist.items[0], scene(8, taken=camera_clock(timedelta(minutes=2))), cast.inspector
    )
    assert kinds_of(old) == [MarkKind.TAKEN_LONG_BEFORE_SENT]
    assert kinds_of(recent) == []


def test_not_taken_now_only_when_managers_require_the_camera(cast, checklist):
    picked = scene(9, taken=camera_clock(timedelta(minutes=40)))
    photo = attach_photo(checklist.items[0], picked, cast.inspector)
    assert kinds_of(photo) == [MarkKind.NOT_TAKEN_NOW]
    assert marks_of(photo)[0].words == "非现场拍摄：40 分钟前拍摄"

    db.session.add(EvidencePolicy(id=1, **{**DEFAULT_EVIDENCE_POLICY, "camera_required": False}))
    photo = attach_photo(
        checklist.items[1], scene(10, taken=camera_clock(timedelta(minutes=40))), cast.inspector
    )
    assert kinds_of(photo) == []


def test_a_removed_photo_takes_its_marks_and_hash_with_it(cast, kitchen, checklist):
    """SQLite gives the highest id of a deleted row to the next one: a photo sent after the
    last one was removed must neither fail on the old photo's hash nor wear its marks."""
    first, second = checklist.items
    attach_photo(first, scene(5), cast.inspector)
    reused = attach_photo(second, scene(5), cast.inspector, **north_of_the_place(850))
    db.session.commit()
    assert set(kinds_of(reused)) == {MarkKind.REUSED, MarkKind.FAR_FROM_PLACE}
    gone = reused.id
    remove_photo(reused, cast.inspector)
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                HashBand.photo_kind == "inspection", HashBand.photo_id == gone
            )
        )
        == 0
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(EvidenceMark.id)).where(
                EvidenceMark.photo_kind == "inspection", EvidenceMark.photo_id == gone
            )
        )
        == 0
    )
    fresh = attach_photo(second, scene(6), cast.inspector)
    db.session.commit()
    assert kinds_of(fresh) == []
