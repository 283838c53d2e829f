"""Telling people: the inbox, e-mail, group robots and messages in the workplace apps."""

from app.notify.blueprint import bp

__all__ = ["bp"]
