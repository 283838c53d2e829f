"""Pages that gather several domains: home, queues, navigation, errors, the installable app."""

from app.main.blueprint import bp

__all__ = ["bp"]
