from app.main import errors, models, pwa, views
from app.main.blueprint import bp

__all__ = ["bp", "errors", "models", "pwa", "views"]
