"""Login throttling: too many failures lock the account and the address for a while.

An account is named as login matches it (trimmed, without case), so every spelling of a
name that reaches the account counts against it and is locked with it."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.auth.models import LoginAttempt, User
from app.auth.users import same_username
from app.core.extensions import db
from app.core.timeutil import utcnow


def _window_start():
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _locked_names() -> sa.Select:
    """The accounts locked now, by name as the database lowers it: as many failures as the
    limit within the window since the account's last success there (an earlier success
    changes nothing, and the window keeps this to recent rows)."""
    since = _window_start()
    name = sa.func.lower(LoginAttempt.username)
    last_success = (
        sa.select(name.label("name"), sa.func.max(LoginAttempt.at).label("at"))
        .where(LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since)
        .group_by(name)
        .subquery()
    )
    return (
        sa.select(name)
        .outerjoin(last_success, last_success.c.name == name)
        .where(
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
            sa.or_(last_success.c.at.is_(None), LoginAttempt.at > last_success.c.at),
        )
        .group_by(name)
        .having(sa.func.count() >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])
    )


def is_account_locked(username: str) -> bool:
    """Whether the account this name logs in to is locked (trimmed, without case)."""
    mine = _locked_names().where(same_username(LoginAttempt.username, username))
    return db.session.scalar(sa.select(mine.exists()))


def _locked() -> sa.ColumnElement[bool]:
    """The SQL condition that the account is locked, as `is_account_locked` finds it."""
    return sa.func.lower(sa.func.trim(User.username)).in_(_locked_names())


def locked_accounts(users: list[User]) -> list[User]:
    """Those of `users` whose accounts are locked, in one statement: the administrator's
    pages list every account."""
    if not users:
        return []
    locked_ids = set(
        db.session.scalars(
            sa.select(User.id).where(User.id.in_([user.id for user in users]), _locked())
        )
    )
    return [user for user in users if user.id in locked_ids]


def locked_active_accounts() -> list[User]:
    """Every active account locked now, by name, found by the database alone (an
    administrator's queue: a bureau has hundreds of accounts and few of them locked)."""
    query = sa.select(User).where(User.active.is_(True), _locked()).order_by(User.username)
    return list(db.session.scalars(query))


def locked_active_count() -> int:
    """How many active accounts are locked now: the administrator's badge, on every page."""
    query = sa.select(sa.func.count(User.id)).where(User.active.is_(True), _locked())
    return db.session.scalar(query)


def is_address_blocked(address: str) -> bool:
    """Whether this address has failed as often as the limit within the window."""
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= _window_start(),
            LoginAttempt.address == address,
        )
    )
    return failures >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def record_attempt(username: str, address: str, succeeded: bool) -> None:
    db.session.add(
        LoginAttempt(username=username.strip()[:64], address=address[:64], succeeded=succeeded)
    )
    db.session.commit()


def unlock_account(username: str) -> None:
    """Forget an account's failures, as an administrator does for a locked-out user."""
    db.session.execute(
        sa.delete(LoginAttempt).where(
            same_username(LoginAttempt.username, username), LoginAttempt.succeeded.is_(False)
        )
    )
