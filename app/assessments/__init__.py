from app.assessments import bulletin_views, views
from app.assessments.blueprint import bp

__all__ = ["bp", "bulletin_views", "views"]
