"""A PDF as one long image for a phone: its pages rendered by poppler's `pdftoppm` (Debian's
poppler-utils, installed by `make system-deps`) at the width a phone shows whole, stacked top
to bottom in one PNG.

The image is kept in 256 colours: a printed page is a few inks and the edges between them,
which a palette keeps sharp at a third of the full-colour size, so a bulletin of thirty pages
still fits in a group robot's image message (企业微信: 2 MB)."""

import io
import re
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

PHONE_WIDTH = 1080
COLOURS = 256
TIMEOUT_SECONDS = 120
PAGE_NUMBER = re.compile(r"-(\d+)\.png$")


class ImageFailed(Exception):
    """The PDF could not be made into an image; the text says why."""


def long_image(pdf: bytes, width: int = PHONE_WIDTH) -> bytes:
    """The PDF's pages, each `width` pixels wide and as tall as its shape makes it, one under
    the other, as a PNG."""
    with tempfile.TemporaryDirectory(prefix="long-image-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        _render_pages(source, Path(folder) / "page", width)
        pages = sorted(Path(folder).glob("page-*.png"), key=_page_number)
        if not pages:
            raise ImageFailed("pdftoppm made no page")
        return _stacked(pages, width)


def _render_pages(source: Path, prefix: Path, width: int) -> None:
    """Each page as `prefix-N.png` (N zero-padded when there are ten pages or more)."""
    command = ["pdftoppm", "-png", "-scale-to-x", str(width), "-scale-to-y", "-1"]
    try:
        subprocess.run(
            [*command, str(source), str(prefix)],
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=True,
        )
    except FileNotFoundError:
        raise ImageFailed(
            "pdftoppm is not installed: run `make system-deps` (Debian package poppler-utils)"
        ) from None
    except subprocess.CalledProcessError as error:
        said = error.stderr.decode(errors="replace").strip()
        raise ImageFailed(f"pdftoppm failed ({error.returncode}): {said}") from None
    except subprocess.TimeoutExpired:
        raise ImageFailed(f"pdftoppm took more than {TIMEOUT_SECONDS} s") from None


def _page_number(path: Path) -> int:
    return int(PAGE_NUMBER.search(path.name)[1])


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
