from app.inspections import external_views, guest_views, report_views, self_check_views, views
from app.inspections.blueprint import bp

__all__ = ["bp", "external_views", "guest_views", "report_views", "self_check_views", "views"]
