"""The one WeasyPrint entry point: HTML from our templates to PDF bytes.

The renderer reads only our static files and the photos the caller allows; any other URL
(another host, a file path, a route) is refused, so user text can never make it fetch.

Every PDF is PDF/A-3b, the archival form: its fonts embedded, an sRGB output intent, no
smoothed images. An issued document's template names its number, issuer and date in its
<head> (templates/documents/_pdf_metadata.html), which the file carries as its metadata.
"""

import io
import ssl
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, current_app, has_request_context, render_template, request
from weasyprint import CSS, HTML
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

ARCHIVAL = "pdf/a-3b"
# PDF/A forbids images the viewer smooths (Interpolate true), WeasyPrint's default.
UNSMOOTHED_IMAGES = "html { image-rendering: crisp-edges }"
# PDF/A's output intent is WeasyPrint's own sRGB profile, handed to it as ours: the variant's
# built-in intent opens the profile's file and never closes it (a ResourceWarning a document).
SRGB = "--srgb"
SRGB_PROFILE = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()

# Maps a request path (with its query) to the image the document may show (a JPEG photo, a
# PNG signature), or None.
PhotoResolver = Callable[[str], bytes | None]


# The fetcher below never opens a connection, so it needs no certificates: left to itself,
# every fetcher loaded the system's CA bundle (about 20 ms, twice per document).
_NO_CONNECTIONS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class ConfinedFetcher(URLFetcher):
    def __init__(self, photo_for_path: PhotoResolver | None):
        super().__init__(allowed_protocols=["http", "https"], ssl_context=_NO_CONNECTIONS)
        self.static_root = current_app.static_folder
        self.static_prefix = current_app.static_url_path.rstrip("/") + "/"
        self.host = urlsplit(request.host_url).netloc
        self.photo_for_path = photo_for_path

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != self.host:
            raise ValueError(f"refused: {url}")
        if parts.path.startswith(self.static_prefix):
            joined = safe_join(self.static_root, parts.path[len(self.static_prefix) :])
            path = Path(joined) if joined else None
            if path is None or not path.is_file():
                raise ValueError(f"refused: {url}")
            body, suffix = path.read_bytes(), path.suffix
        else:
            query = f"?{parts.query}" if parts.query else ""
            body = self.photo_for_path(parts.path + query) if self.photo_for_path else None
            if body is None:
                raise ValueError(f"refused: {url}")
            suffix = ".png" if body.startswith(b"\x89PNG") else ".jpg"  # a signature is a PNG
        content_type = {
            ".jpg": "image/jpeg",
            ".png": "image/png",
            ".css": "text/css",
            ".svg": "image/svg+xml",
        }
        return URLFetcherResponse(
            url,
            body=body,
            headers={"Content-Type": content_type.get(suffix, "application/octet-stream")},
        )


def _srgb_output_intent() -> dict[str, ColorProfile]:
    """A profile for one document: WeasyPrint writes the document's reference to it into it."""
    profile = ColorProfile(
        io.BytesIO(SRGB_PROFILE), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )
    return {SRGB: profile}


def render_pdf(template: str, photo_for_path: PhotoResolver | None = None, **context) -> bytes:
    """Render a print template (a `*_pdf.html` beside the page it prints) with our print CSS
    and fonts. Outside a request (the worker, the demo) it renders as if asked at PUBLIC_URL."""
    if not has_request_context():
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
            return render_pdf(template, photo_for_path, **context)
    html = render_template(template, **context)
    fonts = FontConfiguration()
    fetcher = ConfinedFetcher(photo_for_path)
    css_path = Path(current_app.static_folder) / "css" / "print.css"
    stylesheet = CSS(
        string=css_path.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=fetcher
    )
    archival = CSS(string=UNSMOOTHED_IMAGES, font_config=fonts)
    document = HTML(string=html, base_url=request.host_url, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[stylesheet, archival],
        font_config=fonts,
        color_profiles=_srgb_output_intent(),
        pdf_variant=ARCHIVAL,
        output_intent=SRGB,
    )


def pdf_response(pdf: bytes, filename: str) -> Response:
    """Answer with a PDF the browser shows inline and saves under a sensible name."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
