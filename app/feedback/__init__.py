from app.feedback import complaint_views, public_views, survey_views
from app.feedback.blueprint import bp

__all__ = ["bp", "complaint_views", "public_views", "survey_views"]
