"""Notifications: the inbox, e-mail and group robots, and the worker that runs the clock."""

from flask import Blueprint

bp = Blueprint("notify", __name__)

from app.notify import models, views  # noqa: E402,F401
