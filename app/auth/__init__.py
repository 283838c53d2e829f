"""Accounts, roles and sign-in: who a user is and which role-based doors open for them."""

from app.auth.blueprint import bp

__all__ = ["bp"]
