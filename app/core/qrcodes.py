"""QR codes as inline SVG: sharp on screen and on paper, no image file involved."""

import segno
from markupsafe import Markup


def qr_svg(url: str, scale: int = 4) -> Markup:
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=scale, border=2, omitsize=False))
