"""Stamped copies of evidence photos: the record's facts drawn in a band at the bottom.

The server draws the stamp from its own records (domain code writes the lines), onto a copy
of the photo as stored; the stored photo itself is never touched, so its SHA-256 still proves
what arrived. The last line is a short code, the start of that SHA-256, so a printed photo
can be matched to its original. The copy is kept in the file store like any photo (with a
thumbnail), under its own digest.
"""

import io
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Mapped, mapped_column

from app.core.files import Kind, sha256, store
from app.core.photos import THUMB_LONG_SIDE, StoredPhoto, read_photo
from app.core.timeutil import LOCAL_TZ, as_utc

FONT_FAMILY = "Noto Sans CJK SC"
FONT_FALLBACK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX_SC = 2  # the .ttc holds JP, KR, SC, TC, HK in this order
CODE_LENGTH = 8
LINE_HEIGHT = 1.35
BAND_DARKNESS = 0.35  # what is left of the picture under the band: dark enough to read on


class StampedEvidence:
    """Columns of an evidence photo's row: `digest` is the photo as it arrived (marked up if the
    phone marked it up), kept byte for byte; its stamped copy is what everyone is shown; the
    unmarked original is kept when a marked-up copy was sent."""

    stamped_digest: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    original_digest: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    @property
    def shown_digest(self) -> str:
        """The stamped copy; older photos, stored before stamping, as they are."""
        return self.stamped_digest or self.digest


@dataclass(frozen=True)
class StampFacts:
    """What the server knows of a photo, from its own records, to print on it. The labels are
    Chinese whatever the reader's language: the stamp is part of the evidence, the same for all."""

    received_at: datetime
    place: str
    taken_by: str
    subject: str  # the check point, the notice's number or the complaint
    taken_at: datetime | None = None  # the camera's (no zone: its own clock) or the phone's
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None

    def lines(self) -> list[str]:
        taken = _when(self.taken_at) if self.taken_at else "未知"
        lines = [
            f"拍摄 {taken}　接收 {_when(as_utc(self.received_at))}",
            f"地点 {self.place or '未知'}",
            f"拍摄人 {self.taken_by}",
            self.subject,
        ]
        if self.latitude is not None and self.longitude is not None:
            accuracy = f" ±{self.accuracy_m:.0f} m" if self.accuracy_m is not None else ""
            lines.append(f"位置 {self.latitude:.5f}, {self.longitude:.5f}{accuracy}")
        return lines


def _when(moment: datetime) -> str:
    # A camera's time has no zone and is already the local time it showed.
    local = moment if moment.tzinfo is None else moment.astimezone(LOCAL_TZ)
    return f"{local:%Y-%m-%d %H:%M:%S}"


def stamper(facts: StampFacts) -> Callable[[StoredPhoto], str]:
    """Stamps a photo just stored with `facts`, the camera's time winning over the phone's."""

    def stamp(stored: StoredPhoto) -> str:
        taken = replace(facts, taken_at=stored.taken_at or facts.taken_at)
        stamped_digest = stamp_photo(stored.digest, taken.lines(), stored.image)
        stored.image = None  # drawn on: no longer the picture stored (nor its perceptual hash)
        return stamped_digest

    return stamp


class StampFontMissing(RuntimeError):
    """The Noto CJK font is not installed (`make system-deps` installs fonts-noto-cjk)."""


def short_code(digest: str) -> str:
    """What the stamp prints to match a paper copy to its original."""
    return digest[:CODE_LENGTH]


def code_line(digest: str) -> str:
    return f"原图 {short_code(digest)}"


def stamp_photo(digest: str, lines: list[str], image: Image.Image | None = None) -> str:
    """Draw `lines` and the short code onto a copy of the stored photo `digest`, keep the
    copy (and its thumbnail) in the file store and return the copy's digest.

    `image` is the picture store_photo just stored (StoredPhoto.image), which spares decoding
    it again (it is drawn on: the caller is done with it); without it the stored file is read
    and decoded."""
    image = _decoded(digest) if image is None else image
    _draw_band(image, [*lines, code_line(digest)])
    # Not optimized: the second pass would triple the time the upload waits for the copy.
    stamped = _jpeg(image, quality=85)
    stamped_digest = sha256(stamped)
    store(Kind.THUMB, stamped_digest, _jpeg(_thumbnail(image), quality=80))
    store(Kind.PHOTO, stamped_digest, stamped)
    return stamped_digest


def _decoded(digest: str) -> Image.Image:
    image = stored_picture(digest)
    if image is None:
        raise FileNotFoundError(f"photo {digest} is not in the file store")
    return image


def stored_picture(digest: str) -> Image.Image | None:
    """The stored photo `digest` decoded, as a stamp is drawn on it; None if the file store
    has no such photo."""
    data = read_photo(digest)
    if data is None:
        return None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _thumbnail(image: Image.Image) -> Image.Image:
    """At most THUMB_LONG_SIDE, shrunk by a whole factor (box averaging): a fifth of the time
    of a fine resampling, and as sharp at that size."""
    factor = -(-max(image.size) // THUMB_LONG_SIDE)
    return image.reduce(factor) if factor > 1 else image.copy()


def band_height(image_size: tuple[int, int], line_count: int) -> int:
    return round(_font_size(image_size) * LINE_HEIGHT * line_count + _margin(image_size) * 2)


def _font_size(image_size: tuple[int, int]) -> int:
    # Readable on a phone's screen and on paper: about 45 characters across the short side.
    return max(12, min(image_size) // 45)


def _margin(image_size: tuple[int, int]) -> int:
    return max(4, _font_size(image_size) // 2)


def _draw_band(image: Image.Image, lines: list[str]) -> None:
    width, height = image.size
    size, margin = _font_size(image.size), _margin(image.size)
    top = max(0, height - band_height(image.size, len(lines)))
    box = (0, top, width, height)
    image.paste(image.crop(box).point(lambda value: int(value * BAND_DARKNESS)), box)
    font = _font(size)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        y = top + margin + round(number * size * LINE_HEIGHT)
        draw.text((margin, y), _fit(line, font, width - 2 * margin), font=font, fill="white")


def _fit(line: str, font: ImageFont.FreeTypeFont, room: float) -> str:
    """The line, cut short with an ellipsis if it is wider than the picture."""
    if font.getlength(line) <= room:
        return line
    while line and font.getlength(line + "…") > room:
        line = line[:-1]
    return line + "…"


@lru_cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file()), size, index=FONT_INDEX_SC)


@lru_cache
def font_file() -> Path:
    """The Noto CJK font collection: where fontconfig says, else Debian's place for it."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", FONT_FAMILY],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    for candidate in (Path(found) if found else None, FONT_FALLBACK):
        if candidate and candidate.name.startswith("NotoSansCJK") and candidate.is_file():
            return candidate
    raise StampFontMissing(
        f"{FONT_FAMILY} is not installed ({FONT_FALLBACK}): run `make system-deps` "
        "(Debian package fonts-noto-cjk)"
    )


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
