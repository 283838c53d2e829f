"""Issued documents: each PDF kept as versions that can be checked against the record."""

from app.documents.blueprint import bp

__all__ = ["bp"]
