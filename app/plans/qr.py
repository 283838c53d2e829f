"""QR codes for places: the printed code holds the place's scan address."""

import segno
from flask import url_for
from markupsafe import Markup

from app.catalog.models import Site


def scan_url(site: Site) -> str:
    return url_for("plans.scan", token=site.scan_token, _external=True)


def qr_svg(url: str, scale: int = 4) -> Markup:
    """The code as inline SVG: sharp on screen and on paper, no image file involved."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=scale, border=2, omitsize=False))
