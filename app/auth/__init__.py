from app.auth import views
from app.auth.blueprint import bp

__all__ = ["bp", "views"]
