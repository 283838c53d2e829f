"""Checks on the ground: checklists, findings with photos, self-checks and external checks."""

from app.inspections.blueprint import bp

__all__ = ["bp"]
