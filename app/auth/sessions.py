"""Signing in and out, and a person's own new password, as the pages do them: each action
writes and commits (record_attempt commits the attempt with what came before it)."""

from app.auth.models import User
from app.auth.throttle import record_attempt
from app.core.audit import record_event
from app.core.extensions import db
from app.core.timeutil import utcnow


def signed_in(user: User, address: str) -> None:
    """A successful sign-in, by password or an outside identity: counted, and its time kept."""
    user.last_login_at = utcnow()
    record_attempt(user.username, address, succeeded=True)


def signed_out(user: User) -> None:
    """Logging out ends every session of the account: a copy of this one's cookie must not live
    on."""
    user.end_sessions()
    db.session.commit()


def change_password(user: User, new: str) -> None:
    """The person's own new password; every other session of theirs ends."""
    user.set_password(new)
    record_event("password_changed", user)
    db.session.commit()
