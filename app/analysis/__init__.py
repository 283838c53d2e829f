from app.analysis import views
from app.analysis.blueprint import bp

__all__ = ["bp", "views"]
