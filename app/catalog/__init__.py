from flask import Blueprint

bp = Blueprint("catalog", __name__)

from app.catalog import contractor_views, site_views, standards_views  # noqa: E402,F401
