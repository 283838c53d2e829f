"""Rectification notices: issued from findings, acknowledged, fixed, verified, escalated."""

from app.notices.blueprint import bp

__all__ = ["bp"]
