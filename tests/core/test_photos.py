import io
from datetime import datetime

import imagehash
import pytest
from PIL import Image

from app.auth.models import Role
from app.core.extensions import db
from app.core.files import Kind
from app.core.photos import photo_rows, read_photo, store_photo
from app.core.refusals import Refused
from app.core.stamping import stamp_photo
from tests.evidence_photos import scene
from tests.helpers import forget, login

GPS_IFD = 0x8825


def photo_bytes(
    size=(64, 32), fmt="JPEG", orientation=None, taken="2026:11:20 09:15:00", gps=True
) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: device data that must not be kept
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        exif.get_ifd(GPS_IFD)[2] = (32.0, 3.0, 0.0)  # GPSLatitude
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif)
    return buffer.getvalue()


def test_photo_is_turned_upright_stripped_and_stored_by_hash(app):
    stored = store_photo(photo_bytes(size=(64, 32), orientation=6))

    assert (stored.width, stored.height) == (32, 64)
    assert stored.taken_at == datetime(2026, 11, 20, 9, 15)
    with Image.open(io.BytesIO(read_photo(stored.digest))) as kept:
        assert kept.format == "JPEG" and kept.size == (32, 64)
        assert not kept.getexif(), "location and device tags must be gone"
    assert read_photo(stored.digest, thumb=True)


def test_the_same_photo_is_stored_once(app):
    data = photo_bytes()
    assert store_photo(data).digest == store_photo(data).digest


class Row:
    """A photo row that keeps no perceptual hash (a reference photo's, a document's)."""

    def __init__(self, **values):
        vars(self).update(values)


class HashedRow(Row):
    """An evidence photo row, which keeps the time it was taken and its perceptual hash."""

    taken_at = phash = None


def test_the_perceptual_hash_is_worked_out_only_for_the_rows_that_keep_it(app, monkeypatch):
    worked_out = []
    phash = imagehash.phash
    monkeypatch.setattr(imagehash, "phash", lambda image: worked_out.append(image) or phash(image))
    store_photo(scene(1))  # a check point's reference photo, an unmarked original
    [plain] = photo_rows(Row, [scene(2)])
    assert worked_out == [] and not hasattr(plain, "phash")

    def stamp(stored):
        return stamp_photo(stored.digest, ["甲"], stored.image)

    [kept] = photo_rows(HashedRow, [scene(3)], stamp=stamp, originals=[scene(4)])
    assert len(worked_out) == 1 and kept.stamped_digest
    assert kept.phash == store_photo(scene(3)).phash  # of the picture, not of its stamped copy


def test_a_photo_whose_thumbnail_was_never_written_gets_it_on_the_retry(app):
    """A worker killed between the photo and its thumbnail: the phone resends the photo."""
    data = photo_bytes()
    digest = store_photo(data).digest
    forget(Kind.THUMB, digest)

    assert store_photo(data).digest == digest
    with Image.open(io.BytesIO(read_photo(digest, thumb=True))) as thumb:
        assert thumb.format == "JPEG"


def test_png_is_accepted_and_large_photos_are_downscaled(app):
    stored = store_photo(photo_bytes(size=(4000, 1000), fmt="PNG", taken=None, gps=False))
    assert (stored.width, stored.height) == (2560, 640) and stored.taken_at is None


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"%PDF-1.4 not a photo", "not a photo"),
        (b"GIF89a" + b"\x00" * 32, "not a photo"),
    ],
)
def test_non_photos_are_refused(app, data, reason):
    with pytest.raises(Refused):
        store_photo(data)


def test_gif_is_refused_even_when_it_is_an_image(app):
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    with pytest.raises(Refused, match="JPEG"):
        store_photo(buffer.getvalue())


def test_truncated_photo_is_refused(app):
    data = photo_bytes(size=(400, 400))
    with pytest.raises(Refused):
        store_photo(data[: len(data) // 2])


def test_decompression_bomb_is_refused(app):
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(Refused):
        store_photo(buffer.getvalue())


def test_oversized_file_is_refused(app):
    with pytest.raises(Refused):
        store_photo(b"\xff\xd8" + b"\x00" * (21 * 1024 * 1024))


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64, ""])
def test_only_a_hash_names_a_stored_file(app, name):
    with pytest.raises(ValueError):
        read_photo(name)


def test_manager_attaches_a_reference_photo_and_everyone_logged_in_sees_it(
    client, make_user, make_check_point
):
    point = make_check_point()
    login(client, make_user(Role.MANAGER))
    form = {
        "category_id": point.category_id,
        "code": point.code,
        "title": point.title,
        "standard": point.standard,
        "severity": "general",
        "deduction": "1",
        "position": 0,
        "active": "y",
    }
    refused = client.post(
        f"/catalog/points/{point.id}/edit",
        data={**form, "reference_upload": (io.BytesIO(b"not an image"), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "不是照片" in refused.text
    db.session.refresh(point)
    assert point.reference_photo is None

    saved = client.post(
        f"/catalog/points/{point.id}/edit",
        data={**form, "reference_upload": (io.BytesIO(photo_bytes()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    db.session.refresh(point)
    assert point.reference_photo

    client.post("/logout")
    login(client, make_user(Role.CONTRACTOR))
    page = client.get(f"/catalog/lines/{point.category.service_line_id}")
    assert f"/catalog/points/{point.id}/reference.jpg?size=thumb" in page.text
    with client.get(f"/catalog/points/{point.id}/reference.jpg") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
        assert photo.data.startswith(b"\xff\xd8")
        assert "private" in photo.headers["Cache-Control"]
    client.post("/logout")
    assert client.get(f"/catalog/points/{point.id}/reference.jpg").status_code == 302
