"""Going live: the organisation workbook (places, contractors, staff and certificates,
accounts) exported, checked in a dry run and imported all or nothing."""

from app.organisation import account_views, views
from app.organisation.blueprint import bp

__all__ = ["account_views", "bp", "views"]
