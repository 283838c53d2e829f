"""Notifications: the inbox, e-mail and group robots, and the worker that runs the clock."""

from app.notify import models, views
from app.notify.blueprint import bp

__all__ = ["bp", "models", "views"]
