"""Identities from outside: a bureau's own OIDC service, 企业微信, 钉钉 and 飞书. An outside
identity signs in only the account it was linked to. The routes (views, app_views) are
imported by create_app: other domains read this package's models, and its views read theirs."""

from app.identity.blueprint import bp

__all__ = ["bp"]
