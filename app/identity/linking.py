"""Linking, never guessing: an outside identity opens only the account it was linked to, by
its provider and subject; a name, phone or e-mail that matches proves nothing."""

from flask_babel import gettext as _

from app.auth.models import User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import require
from app.core.timeutil import utcnow
from app.identity.models import ExternalIdentity, Provider


def identity_for(provider: Provider, subject: str) -> ExternalIdentity | None:
    """The link of this identity to an account, active or not, if there is one."""
    return db.session.scalar(
        db.select(ExternalIdentity).filter_by(provider=provider, subject=subject)
    )


def linked_user(provider: Provider, subject: str) -> User | None:
    """The active account this identity was linked to, or None: unlinked, or deactivated."""
    identity = identity_for(provider, subject)
    if identity is None or not identity.user.active:
        return None
    identity.last_used_at = utcnow()
    return identity.user


def link(user: User, provider: Provider, subject: str, display: str = "") -> ExternalIdentity:
    """Link an identity to `user` (signed in, or through their invitation); Refused if it is
    already another account's, or the user already has one of this provider."""
    taken = identity_for(provider, subject)
    if taken is not None and taken.user_id == user.id:
        return taken
    require(taken is None, _("This identity is already linked to another account."))
    require(
        identities_of(user, provider) == [],
        _("Unlink the account's identity from this provider first."),
    )
    identity = ExternalIdentity(user=user, provider=provider, subject=subject, display=display)
    db.session.add(identity)
    record_event("identity_linked", user, detail=f"{provider.label} {display}".strip(), actor=user)
    return identity


def unlink(identity: ExternalIdentity, by: User) -> None:
    record_event(
        "identity_unlinked",
        identity.user,
        detail=f"{identity.provider.label} {identity.display}".strip(),
        actor=by,
    )
    db.session.delete(identity)


def identities_of(user: User, provider: Provider | None = None) -> list[ExternalIdentity]:
    query = db.select(ExternalIdentity).filter_by(user_id=user.id).order_by(ExternalIdentity.id)
    if provider is not None:
        query = query.filter_by(provider=provider)
    return list(db.session.scalars(query))
