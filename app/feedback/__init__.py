"""The public's voice: complaints and satisfaction surveys, sent without an account."""

from app.feedback.blueprint import bp

__all__ = ["bp"]
