"""QR codes for places: the printed code holds the place's scan address."""

from flask import url_for

from app.catalog.models import Site


def scan_url(site: Site) -> str:
    return url_for("plans.scan", token=site.scan_token, _external=True)
