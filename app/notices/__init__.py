from app.notices import views, warning_views
from app.notices.blueprint import bp

__all__ = ["bp", "views", "warning_views"]
