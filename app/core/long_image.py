"""A PDF as one long image for a phone: its pages rendered by poppler's `pdftoppm` (Debian's
poppler-utils, installed by `make system-deps`) at the width a phone shows whole, stacked top
to bottom in one PNG.

The image is kept in 256 colours: a printed page is a few inks and the edges between them,
which a palette keeps sharp at a third of the full-colour size, so a bulletin of thirty pages
still fits in a group robot's image message (企业微信: 2 MB)."""

import io
import tempfile
from pathlib import Path

from PIL import Image

from app.core import poppler

PHONE_WIDTH = 1080
COLOURS = 256


class ImageFailed(Exception):
    """The PDF could not be made into an image; the text says why."""


def long_image(pdf: bytes, width: int = PHONE_WIDTH) -> bytes:
    """The PDF's pages, each `width` pixels wide and as tall as its shape makes it, one under
    the other, as a PNG."""
    with tempfile.TemporaryDirectory(prefix="long-image-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        _render_pages(source, Path(folder) / "page", width)
        pages = poppler.drawn_pages(Path(folder), "page", "png")
        if not pages:
            raise ImageFailed("pdftoppm made no page")
        return _stacked(pages, width)


def _render_pages(source: Path, prefix: Path, width: int) -> None:
    """Each page as `prefix-N.png`."""
    command = ["pdftoppm", "-png", "-scale-to-x", str(width), "-scale-to-y", "-1"]
    poppler.run([*command, str(source), str(prefix)], ImageFailed)


def _stacked(pages: list[Path], width: int) -> bytes:
    heights = []
    for path in pages:
        with Image.open(path) as page:
            heights.append(page.height)
    canvas = Image.new("RGB", (width, sum(heights)), "white")
    top = 0
    for path, height in zip(pages, heights, strict=True):
        with Image.open(path) as page:
            canvas.paste(page.convert("RGB"), (0, top))
        top += height
    palette = canvas.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
