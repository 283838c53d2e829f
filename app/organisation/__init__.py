"""Going live: the organisation workbook (places, contractors, staff and certificates,
accounts) exported, checked in a dry run and imported all or nothing."""

from app.organisation.blueprint import bp

__all__ = ["bp"]
