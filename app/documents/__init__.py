from app.documents import views
from app.documents.blueprint import bp

__all__ = ["bp", "views"]
