"""Stamped copies of evidence photos: the original kept byte for byte, the facts drawn in a
band at the bottom of a copy, the font found or its absence said plainly."""

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageChops, ImageStat

from app.core import stamping
from app.core.files import sha256
from app.core.photos import read_photo, store_photo
from app.core.stamping import StampFacts, band_height, code_line, stamp_photo, stamper


def noisy_jpeg(size=(1600, 1200)) -> bytes:
    """A photo with detail everywhere, so that a band drawn on it shows."""
    noise = Image.effect_noise(size, 60)
    image = Image.merge("RGB", (noise, noise.point(lambda v: 255 - v), noise))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def difference(a: Image.Image, b: Image.Image) -> float:
    """The mean difference between two pictures, 0 to 255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_the_original_is_kept_byte_for_byte_and_a_stamped_copy_beside_it(app):
    stored = store_photo(noisy_jpeg())
    before = read_photo(stored.digest)
    lines = ["拍摄 2026-12-07 08:00:00", "地点 机关大院 / 后厨", "拍摄人 张三", "检查点 食品留样"]
    stamped_digest = stamp_photo(stored.digest, lines, stored.image)

    assert read_photo(stored.digest) == before and sha256(before) == stored.digest
    stamped = read_photo(stamped_digest)
    assert stamped_digest != stored.digest and sha256(stamped) == stamped_digest
    assert read_photo(stamped_digest, thumb=True) is not None
    original, copy = Image.open(io.BytesIO(before)), Image.open(io.BytesIO(stamped))
    assert copy.size == original.size
    band_top = original.height - band_height(original.size, len(lines) + 1)
    above = (0, 0, original.width, band_top)
    band = (0, band_top, original.width, original.height)
    assert difference(original.crop(above), copy.crop(above)) < 3  # only re-encoded
    assert difference(original.crop(band), copy.crop(band)) > 30  # darkened, written on


def test_a_stamp_made_from_the_stored_file_draws_the_same_band(app):
    stored = store_photo(noisy_jpeg())
    from_memory = Image.open(
        io.BytesIO(read_photo(stamp_photo(stored.digest, ["甲"], stored.image)))
    )
    from_file = Image.open(io.BytesIO(read_photo(stamp_photo(stored.digest, ["甲"]))))
    assert difference(from_memory, from_file) < 6  # one more JPEG generation of noise


def test_the_stamp_lines_say_the_records_facts_in_the_bureaus_time():
    facts = StampFacts(
        received_at=datetime(2026, 12, 7, 0, 5, 9, tzinfo=UTC),
        place="机关大院 / 后厨",
        taken_by="张三",
        subject="检查点 CAT-01 食品留样",
        taken_at=datetime(2026, 12, 7, 8, 1, 2),  # the camera's clock: no zone, printed as is
        latitude=31.2304,
        longitude=121.4737,
        accuracy_m=12.4,
    )
    assert facts.lines() == [
        "拍摄 2026-12-07 08:01:02　接收 2026-12-07 08:05:09",
        "地点 机关大院 / 后厨",
        "拍摄人 张三",
        "检查点 CAT-01 食品留样",
        "位置 31.23040, 121.47370 ±12 m",
    ]
    phone_time = StampFacts(
        received_at=datetime(2026, 12, 7, 0, 5, tzinfo=UTC),
        place="",
        taken_by="公众",
        subject="投诉",
        taken_at=datetime(2026, 12, 7, 0, 4, tzinfo=UTC),
    )
    assert phone_time.lines()[:2] == [
        "拍摄 2026-12-07 08:04:00　接收 2026-12-07 08:05:00",
        "地点 未知",
    ]
    assert len(phone_time.lines()) == 4  # no location sent, none printed


def test_the_short_code_is_the_start_of_the_originals_digest(app, monkeypatch):
    drawn = []
    monkeypatch.setattr(stamping, "_draw_band", lambda image, lines: drawn.append(lines))
    stored = store_photo(noisy_jpeg((320, 240)))
    facts = StampFacts(
        received_at=datetime(2026, 12, 7, tzinfo=UTC), place="", taken_by="", subject=""
    )
    stamper(facts)(stored)
    assert drawn[0][-1] == code_line(stored.digest) == f"原图 {stored.digest[:8]}"


def test_a_missing_font_is_named_plainly(monkeypatch, tmp_path):
    monkeypatch.setattr(stamping, "FONT_FAMILY", "No Such Font Family")
    monkeypatch.setattr(stamping, "FONT_FALLBACK", tmp_path / "NotoSansCJK-Regular.ttc")
    stamping.font_file.cache_clear()
    try:
        with pytest.raises(stamping.StampFontMissing, match="fonts-noto-cjk"):
            stamping.font_file()
    finally:
        stamping.font_file.cache_clear()
