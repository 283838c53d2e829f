"""Accepting an invitation: no one hands out passwords. A new or imported account (or one whose
person lost the password) gets a link (app/organisation/invitations.py), valid for a week and
used once, where its person sets their own. Only hashes of the links are kept, so a copy of the
database opens nothing; the e-mail's link is its own, made when it is sent."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Invitation, User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import utcnow
from app.core.tokens import token_hash

VALID_FOR = timedelta(days=7)


def open_invitation(token: str) -> Invitation | None:
    """The invitation a link opens while it may still be used; None for any other link,
    whatever the reason (unknown, used, replaced, expired, account deactivated)."""
    digest = token_hash(token)
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            sa.or_(Invitation.token_hash == digest, Invitation.emailed_token_hash == digest)
        )
    )
    if invitation is None or not invitation.is_open(utcnow()):
        return None
    return invitation


def accept(token: str, password: str) -> User:
    """Set the person's own password from the link, which then stops working, and commit. Two
    requests with the same link at once: the database lets one of them through (the other is
    Refused; its caller rolls back)."""
    user = claim(token)
    user.set_password(password)  # also ends any session of the account made before
    record_event("invitation_accepted", user, actor=user)
    db.session.commit()
    return user


def claim(token: str) -> User:
    """Use the link up (once, as accept does) and return its account; Refused (404) for a
    link that is not open. Accepting with an outside identity instead of a password links
    that identity to the account (app/identity). The caller commits."""
    invitation = open_invitation(token)
    if invitation is None or not _claim(invitation):
        raise Refused(closed_message(), status=404)
    return invitation.user


def _claim(invitation: Invitation) -> bool:
    """Mark the invitation used, if no one did in the meantime."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
            Invitation.user.has(User.active.is_(True)),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(invitation)
    return claimed == 1


def closed_message() -> str:
    return _(
        "This invitation link cannot be used: it may have been used already, replaced by a "
        "newer one, or expired. Ask your administrator for a new link."
    )


def open_invitations_of(user_ids: list[int]) -> dict[int, Invitation]:
    """The invitation each of these accounts may still use, by account."""
    if not user_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id.in_(user_ids),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return {invitation.user_id: invitation for invitation in rows}
