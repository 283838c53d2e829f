"""Evidence and reference photos: accepted by content, re-encoded, stored by content hash.

A photo is decoded by Pillow (never trusted by its name), refused if it is not an image, is
truncated, too large or a decompression bomb; it is turned upright, stripped of all metadata
(location, device) by re-encoding, and kept in the file store (app/files.py) under its
SHA-256 with a thumbnail beside it. Photos are never served from static/.
"""

import base64
import binascii
import io
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from flask_babel import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.core.evidence import picture_hash
from app.core.files import Kind, is_stored, read_stored, send_stored, sha256, store, store_content
from app.core.refusals import Refused
from app.core.uploads import is_too_large, too_large_message

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 50_000_000  # a 48 MP phone camera fits; anything larger is refused
STORED_LONG_SIDE = 2560
THUMB_LONG_SIDE = 480
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


@dataclass
class StoredPhoto:
    digest: str
    width: int
    height: int
    taken_at: datetime | None
    # The picture as stored, still decoded, so a stamped copy needs no second decoding.
    image: Image.Image | None = field(default=None, repr=False, compare=False)

    @cached_property
    def phash(self) -> str:
        """The perceptual hash, to find the same picture sent again (core/evidence.py),
        computed when first asked: only the evidence rows that keep one need it, not reference
        photos or unmarked originals. Ask before stamping: the stamp is drawn on `image`."""
        return picture_hash(self.image)


def store_photo(data: bytes) -> StoredPhoto:
    """Validate, clean and store a photo; return its content hash and what we learnt."""
    if not data:
        raise Refused(_("The file is empty."), status=422)
    if is_too_large(data):
        raise Refused(too_large_message(), status=422)
    image = _decode(data)
    taken_at = _taken_at(image)
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.info = {}  # no comment, XMP or profile rides along: only the picture is kept
    image.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE))
    stored = _jpeg(image, quality=85)
    digest = sha256(stored)
    # The thumbnail is checked too: a worker killed between the two writes left the photo
    # alone, and the phone's retry must still get its thumbnail.
    if not is_stored(Kind.THUMB, digest):
        thumb = image.copy()
        thumb.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE))
        store(Kind.THUMB, digest, _jpeg(thumb, quality=80))
    store(Kind.PHOTO, digest, stored)
    return StoredPhoto(
        digest=digest,
        width=image.width,
        height=image.height,
        taken_at=taken_at,
        image=image,
    )


def photo_rows(
    model,
    photos: list[bytes],
    *,
    stamp: Callable[[StoredPhoto], str] | None = None,
    originals: Sequence[bytes | None] = (),
    **fields,
) -> list:
    """Store each photo and make a `model` row for it (its digest, size and, where the model
    keeps them, the time it was taken and its perceptual hash) with the given fields; with
    `stamp`, its stamped copy, and the unmarked original sent beside a marked-up photo
    (`originals`, in the same order)."""
    rows = []
    for data, original in zip(photos, [*originals, *[None] * len(photos)], strict=False):
        stored = store_photo(data)
        values = {"digest": stored.digest, "width": stored.width, "height": stored.height}
        if hasattr(model, "taken_at"):
            values["taken_at"] = stored.taken_at
        if hasattr(model, "phash"):
            values["phash"] = stored.phash
        if stamp is not None:
            values["stamped_digest"] = stamp(stored)
        if original:
            values["original_digest"] = store_photo(original).digest
        rows.append(model(**values, **fields))
    return rows


@contextmanager
def _truncated_images_refused():
    """WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; a half-uploaded photo
    must fail to decode here, so turn it off while we decode."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings(), _truncated_images_refused():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise Refused(_("Only JPEG, PNG or WebP photos are accepted."), status=422)
            if image.width * image.height > MAX_PIXELS:
                raise Refused(_("The photo has too many pixels."), status=422)
            image.load()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(_("The photo has too many pixels."), status=422) from exc
    except UnidentifiedImageError as exc:
        raise Refused(_("This file is not a photo."), status=422) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise Refused(_("The photo is damaged or incomplete."), status=422) from exc
    return image


def _taken_at(image: Image.Image) -> datetime | None:
    """When the camera says the photo was taken (local camera time, no zone)."""
    value = image.getexif().get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    try:
        return datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def read_photo(digest: str, thumb: bool = False) -> bytes | None:
    return read_stored(Kind.THUMB if thumb else Kind.PHOTO, digest)


def send_photo(digest: str, thumb: bool = False):
    return send_stored(Kind.THUMB if thumb else Kind.PHOTO, digest, "image/jpeg")


SIGNATURE_MAX_SIDE = 3000
SIGNATURE_DATA_URL = "data:image/png;base64,"


def signature_from_data_url(value: str) -> bytes | None:
    """The PNG a signature pad sends as a data URL; None if nothing was drawn."""
    if not value:
        return None
    if not value.startswith(SIGNATURE_DATA_URL):
        raise Refused(_("The signature could not be read. Sign again."), status=422)
    try:
        return base64.b64decode(value[len(SIGNATURE_DATA_URL) :], validate=True)
    except binascii.Error as exc:
        raise Refused(_("The signature could not be read. Sign again."), status=422) from exc


def store_signature(data: bytes) -> str:
    """Check a drawn signature (a PNG with something drawn on it, of a sensible size), keep
    it re-encoded without metadata, and return its digest."""
    if is_too_large(data):
        raise Refused(too_large_message(), status=422)
    image = _decode(data)
    if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_SIDE:
        raise Refused(_("The signature could not be read. Sign again."), status=422)
    image = image.convert("RGBA")
    if image.getchannel("A").getbbox() is None:
        raise Refused(_("The signature is empty. Sign in the box."), status=422)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return store_content(Kind.SIGNATURE, buffer.getvalue())


def read_signature(digest: str) -> bytes | None:
    return read_stored(Kind.SIGNATURE, digest)
