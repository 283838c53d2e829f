"""Identities from outside: a bureau's own OIDC service, 企业微信, 钉钉 and 飞书. An outside
identity signs in only the account it was linked to."""

from app.identity import app_views  # noqa: F401  (registers the apps' routes)
from app.identity.blueprint import bp

__all__ = ["bp"]
