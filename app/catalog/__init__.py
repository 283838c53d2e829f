"""What is supervised: places, contractors and their staff, the standards and the bureau's rules."""

from app.catalog.blueprint import bp

__all__ = ["bp"]
