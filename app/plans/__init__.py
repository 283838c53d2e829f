"""Inspection plans: routes, stops and due visits, and what was missed."""

from app.plans.blueprint import bp

__all__ = ["bp"]
