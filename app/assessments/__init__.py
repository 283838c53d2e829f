"""The monthly assessment: each contractor's 100-point score, its entries and the bulletin."""

from app.assessments.blueprint import bp

__all__ = ["bp"]
