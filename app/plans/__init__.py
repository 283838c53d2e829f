from app.plans import views
from app.plans.blueprint import bp

__all__ = ["bp", "views"]
