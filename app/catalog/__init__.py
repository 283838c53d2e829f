from app.catalog import contractor_views, site_views, standards_views
from app.catalog.blueprint import bp

__all__ = ["bp", "contractor_views", "site_views", "standards_views"]
