"""Evidence marks' building blocks: distances, perceptual hashes, finding a photo used before."""

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from app.core.evidence import (
    SAME_PICTURE_DISTANCE,
    SOURCES,
    EvidenceMark,
    MarkKind,
    PhotoFacts,
    Position,
    _close_hashes,
    camera_time,
    distance_m,
    find_earlier_use,
    hash_distance,
    index_hash,
    mark_if_not_taken_now,
    mark_if_taken_before,
    mark_if_taken_long_before,
    metres_too_far,
    picture_hash,
)
from app.core.extensions import db
from app.core.photos import store_photo
from tests.evidence_photos import reencoded, scene


def hash_of(data: bytes) -> str:
    return picture_hash(Image.open(io.BytesIO(data)))


def test_distance_in_metres():
    assert distance_m(32.0, 118.0, 32.0, 118.0) == 0
    # a degree of latitude is about 111 km; 0.001° of longitude at 32°N about 94 m
    assert distance_m(32.0, 118.0, 33.0, 118.0) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(32.0, 118.0, 32.0, 118.001) == pytest.approx(94.3, rel=1e-2)


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (("32.06", "118.78", "25"), Position(32.06, 118.78, 25.0)),
        (("32.06", "118.78", ""), Position(32.06, 118.78)),
        (("32.06", "118.78", "-5"), Position(32.06, 118.78)),
        (("32.06", "118.78", "inf"), Position(32.06, 118.78)),
        (("32.06", "118.78", "nan"), Position(32.06, 118.78)),
        (("91", "118.78", "25"), None),
        (("32.06", "-180.5", "25"), None),
        (("nan", "118.78", "25"), None),
        (("1e400", "118.78", "25"), None),
        (("north", "118.78", "25"), None),
        (("", "", ""), None),
        ((None, None, None), None),
    ],
)
def test_a_position_is_read_from_a_form_or_left_out(sent, read):
    assert Position.read(*sent) == read


def test_too_far_is_past_the_radius_plus_the_accuracy():
    place, north_850_m = (32.06, 118.78), 32.06 + 850 / 111_195
    assert metres_too_far(Position(north_850_m, 118.78, 30), place, 200) == 850
    assert metres_too_far(Position(north_850_m, 118.78, 700), place, 200) is None
    assert metres_too_far(Position(*place), place, 200) is None
    assert metres_too_far(None, place, 200) is None
    assert metres_too_far(Position(north_850_m, 118.78), None, 200) is None


def test_the_same_picture_reencoded_and_resized_is_close_and_another_is_not():
    original = scene(1)
    copy = reencoded(original, scale=0.4, quality=50)
    assert hash_distance(hash_of(original), hash_of(copy)) <= SAME_PICTURE_DISTANCE
    for other in range(2, 12):
        assert hash_distance(hash_of(original), hash_of(scene(other))) > SAME_PICTURE_DISTANCE


def test_a_stored_photo_carries_its_hash(app):
    original = scene(3)
    stored, copy = store_photo(original), store_photo(reencoded(original))
    assert stored.digest != copy.digest
    assert hash_distance(stored.phash, copy.phash) <= SAME_PICTURE_DISTANCE


def test_camera_time_is_the_bureaus_local_clock():
    naive = datetime(2026, 12, 1, 9, 0)  # as the camera writes it
    assert camera_time(naive) == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    aware = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the phone's file time
    assert camera_time(aware) == aware
    assert camera_time(None) is None


def facts(taken_at, sent_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) -> PhotoFacts:
    return PhotoFacts("inspection", 1, 1, None, "d" * 64, None, taken_at, sent_at)


def kinds() -> list[MarkKind]:
    return [mark.kind for mark in db.session.new if isinstance(mark, EvidenceMark)]


def test_time_marks(app):
    sent = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    assert not mark_if_taken_long_before(facts(datetime(2026, 12, 1, 8, 0)), timedelta(hours=24))
    assert mark_if_taken_long_before(facts(datetime(2026, 11, 29, 8, 0)), timedelta(hours=24))
    mark_if_not_taken_now(facts(datetime(2026, 12, 1, 19, 55)), timedelta(minutes=10))
    assert kinds() == [MarkKind.TAKEN_LONG_BEFORE_SENT]
    mark_if_not_taken_now(facts(datetime(2026, 12, 1, 19, 40)), timedelta(minutes=10))
    mark_if_taken_before(facts(datetime(2026, 12, 1, 19, 0)), sent - timedelta(minutes=30))
    mark_if_taken_before(facts(datetime(2026, 12, 1, 19, 45)), sent - timedelta(minutes=30))
    assert sorted(kinds()) == sorted(
        [MarkKind.TAKEN_LONG_BEFORE_SENT, MarkKind.NOT_TAKEN_NOW, MarkKind.TAKEN_BEFORE_NOTICE]
    )
    db.session.rollback()


def test_the_finder_takes_two_queries_whatever_the_number_of_photos(app, cast, make_site):
    """The digest query, then the hashes; never a photo row's model."""
    assert set(SOURCES) >= {"inspection", "fix", "complaint"}
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert find_earlier_use("e" * 64, "0123456789abcdef", "inspection", 1, 1) is None
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2


def test_hashes_up_to_eight_bits_apart_are_found_through_the_bands(app):
    """However the differing bits fall across the bands, eight are found and nine are not."""
    rng = random.Random(33)
    base = rng.getrandbits(64)
    spread = [0, 1, 16, 17, 32, 33, 48, 49]  # two bits in every band: the hardest case
    cases = {1: spread, 2: rng.sample(range(64), 8), 3: spread + [2]}
    for photo_id, bits in cases.items():
        index_hash("inspection", photo_id, f"{base ^ sum(1 << bit for bit in bits):016x}")
    db.session.flush()
    assert sorted(_close_hashes(f"{base:016x}")) == [("inspection", 1), ("inspection", 2)]
    db.session.rollback()
