"""Whose outside identities a person may unlink: their own; the bureau's administrator
anyone's."""

from flask import abort
from flask_login import current_user

from app.auth.access import keeps_every_account
from app.core.extensions import db
from app.identity.models import ExternalIdentity


def may_unlink(user, identity: ExternalIdentity) -> bool:
    return identity.user_id == user.id or keeps_every_account(user)


def get_identity(identity_id: int) -> ExternalIdentity:
    """The identity if the signed-in person may unlink it; 404 for any other."""
    identity = db.session.get(ExternalIdentity, identity_id)
    if identity is None or not may_unlink(current_user, identity):
        abort(404)
    return identity
