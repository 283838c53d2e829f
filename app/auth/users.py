"""Plain functions for creating and changing user accounts."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.audit import record_event
from app.auth.models import Role, User
from app.extensions import db
from app.refusals import Refused


def create_user(
    username, display_name, role, password, *, contractor_id=None, phone="", email="", active=True
) -> User:
    """Add a user, refusing a username that is taken (case-insensitively)."""
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
    if user is None or not user.active:
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
    password=None,
) -> None:
    """Change an account; role and activation changes are audited."""
    other = find_user(username)
    if other is not None and other.id != user.id:
        raise Refused(_("This username is taken."))
    old_role, old_active = user.role, user.active
    user.username = username.strip()
    user.display_name = display_name.strip()
    user.role = Role(role)
    user.contractor_id = contractor_id or None
    user.phone = phone or ""
    user.email = (email or "").strip()
    user.active = active
    if password:
        user.set_password(password)
        record_event("password_reset", user)
    if old_role != user.role:
        record_event("role_changed", user, from_state=old_role.value, to_state=user.role.value)
    if old_active != user.active:
        record_event("user_activation", user, from_state=str(old_active), to_state=str(user.active))
