"""Inviting people: a new or imported account (or one whose person lost the password) gets a
link where its person sets their own (accepting it is app/auth/invitations.py).

The administrator sees the link once, to pass on or show as a QR code; a person with an
address also gets it by e-mail, through the outbox."""

from flask_babel import gettext as _

from app.auth.invitations import VALID_FOR
from app.auth.models import Invitation, User
from app.auth.users import withdraw_invitations
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import utcnow
from app.core.tokens import new_token, token_hash
from app.notify.events import email_invitations
from app.web.links import path_for, public_link


def invite(user: User, by: User | None) -> str:
    """Invite one person; returns the link to show the administrator, once."""
    ((_user, link),) = invite_many([user], by)
    return link


def invite_many(users: list[User], by: User | None) -> list[tuple[User, str]]:
    """Invite each of `users` (as an import does, after adding their accounts): a new link
    each, their earlier unused links withdrawn, e-mails queued. The number of statements does
    not grow with the number of people. The caller commits."""
    users = list(users)
    if any(not user.active for user in users):
        raise Refused(_("A deactivated account cannot be invited. Reactivate it first."))
    if not users:
        return []
    db.session.flush()  # new accounts get their ids
    withdraw_invitations([user.id for user in users])
    now = utcnow()
    invitations, links = [], []
    for user in users:
        token = new_token()
        invitations.append(
            Invitation(
                user=user,
                token_hash=token_hash(token),
                created_by_id=by.id if by is not None else None,
                created_at=now,
                expires_at=now + VALID_FOR,
            )
        )
        links.append((user, public_link(path_for("auth.invitation", token=token))))
    db.session.add_all(invitations)
    db.session.flush()
    email_invitations(invitations)
    for invitation in invitations:
        record_event("user_invited", invitation.user, actor=by)
    return links
