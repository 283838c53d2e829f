"""Plain functions for creating and changing user accounts."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.auth.models import Invitation, Role, User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import utcnow


def create_user(
    username,
    display_name,
    role,
    password=None,
    *,
    contractor_id=None,
    phone="",
    email="",
    active=True,
) -> User:
    """Add a user, refusing a username that is taken (case-insensitively). Without a password
    the account waits for its person to set one from an invitation."""
    username = username.strip()
    if find_user(username) is not None:
        raise Refused(_("This username is taken."))
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=Role(role),
        contractor_id=contractor_id or None,
        phone=phone or "",
        email=(email or "").strip(),
        active=active,
    )
    if password is None:
        user.set_no_password()
    else:
        user.set_password(password)
    db.session.add(user)
    record_event("user_created", user, to_state=user.role.value)
    return user


def same_username(column, username: str):
    """The condition that `column` names the account `username` logs in to: trimmed, and
    without case as the database lowers it on both sides (SQLite lowers only ASCII)."""
    return sa.func.lower(column) == sa.func.lower(username.strip())


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(same_username(User.username, username)))


def authenticate(username: str, password: str) -> User | None:
    """The active user of this name and password, if there is one."""
    user = find_user(username)
    if user is None or not user.active or not user.has_password:
        # Hash the password anyway, as much work as checking it would be, so that the time a
        # refusal takes does not tell which usernames exist.
        generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        return None
    return user if user.check_password(password) else None


def update_user(
    user: User,
    *,
    username,
    display_name,
    role,
    contractor_id,
    phone,
    active,
    email="",
) -> None:
    """Change an account; role and activation changes are audited."""
    other = find_user(username)
    if other is not None and other.id != user.id:
        raise Refused(_("This username is taken."))
    old_role = user.role
    user.username = username.strip()
    user.display_name = display_name.strip()
    user.role = Role(role)
    user.contractor_id = contractor_id or None
    user.phone = phone or ""
    user.email = (email or "").strip()
    if old_role != user.role:
        record_event("role_changed", user, from_state=old_role.value, to_state=user.role.value)
    set_active(user, active)


def set_active(user: User, active: bool) -> None:
    """Deactivate an account, or make it usable again. Deactivating ends every session of its
    person for good (reactivating brings none back) and withdraws the invitation they have not
    used."""
    if user.active == active:
        return
    user.active = active
    if not active:
        user.end_sessions()
        withdraw_invitations([user.id])
    record_event("user_activation", user, from_state=str(not active), to_state=str(active))


def withdraw_invitations(user_ids: list[int]) -> None:
    """Make the unused invitations of these accounts stop working."""
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.user_id.in_(user_ids),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
