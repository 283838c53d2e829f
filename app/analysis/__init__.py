"""Quality analysis: figures across months, places and contractors, and the meeting packs."""

from app.analysis.blueprint import bp

__all__ = ["bp"]
