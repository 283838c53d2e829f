from app.auth import invitation_views, views
from app.auth.blueprint import bp

__all__ = ["bp", "invitation_views", "views"]
