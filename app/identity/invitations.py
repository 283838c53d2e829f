"""Accepting an invitation with an outside identity instead of a password."""

from app.auth.invitations import claim
from app.auth.models import User
from app.core.audit import record_event
from app.core.extensions import db
from app.identity.linking import link
from app.identity.models import Provider
from app.identity.providers import label_of


def accept_invitation_with(provider: Provider, subject: str, display: str, token: str) -> User:
    """The identity is linked to the invited account and the link is used up; committed.
    Refused (the caller rolls back) for a link not open or an identity linked elsewhere."""
    user = claim(token)
    link(user, provider, subject, display)
    record_event("invitation_accepted", user, detail=label_of(provider), actor=user)
    db.session.commit()
    return user
