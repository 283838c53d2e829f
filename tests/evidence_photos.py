"""Photos for the evidence checks: pictures with something in them (a plain colour has no
perceptual hash worth the name), with a camera time when asked, re-encoded or resized."""

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw

EXIF_IFD, DATETIME_ORIGINAL = 0x8769, 0x9003


def scene(seed: int, size=(800, 600), taken: datetime | None = None) -> bytes:
    """A JPEG of random shapes, the same for the same seed; `taken` (the camera's local
    clock, no zone) goes in its EXIF."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, size[0] // 2), rng.randrange(40, size[1] // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + w, y + h), fill=colour)
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def reencoded(data: bytes, scale: float = 0.5, quality: int = 60) -> bytes:
    """The same picture as another file: resized and saved again at another quality."""
    image = Image.open(io.BytesIO(data))
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
