"""Who may do what: role checks for views, ownership checks for contractor users, and whose
accounts an administrator keeps."""

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from app.auth.models import Role, User
from app.core.extensions import db

SUPERVISORS = (Role.INSPECTOR, Role.MANAGER, Role.ADMIN)
EDITORS = (Role.MANAGER, Role.ADMIN)
# A contractor's users, its administrators too: each sees its own company and nothing else.
CONTRACTORS = (Role.CONTRACTOR, Role.CONTRACTOR_ADMIN)
SELF_CHECKERS = CONTRACTORS  # a contractor's users check their own service
ADMINS = (Role.ADMIN,)
# The bureau's administrators keep every account; a contractor's administrator its company's.
ACCOUNT_KEEPERS = (Role.ADMIN, Role.CONTRACTOR_ADMIN)
EVERYONE = tuple(Role)


def role_required(*roles: Role):
    """Let in only logged-in users holding one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_contractor(user) -> bool:
    """One of a contractor's users, who sees only its own company."""
    return user.role in CONTRACTORS


def can_see_contractor(user, contractor_id: int) -> bool:
    """Supervisors see every contractor; a contractor user sees only its own."""
    if is_contractor(user):
        return user.contractor_id == contractor_id
    return user.role in SUPERVISORS


def kept_accounts(keeper):
    """The condition on User for the accounts `keeper` may list, invite and deactivate: all
    for the bureau's administrator; for a contractor's administrator, its own company's
    users and administrators, never a supervisor's or another company's."""
    if keeper.role == Role.ADMIN:
        return sa.true()
    if keeper.role == Role.CONTRACTOR_ADMIN:
        return sa.and_(User.contractor_id == keeper.contractor_id, User.role.in_(CONTRACTORS))
    return sa.false()


def get_kept_user(user_id: int) -> User:
    """The account if the signed-in person keeps it; 404 for any other."""
    user = db.session.scalar(sa.select(User).where(User.id == user_id, kept_accounts(current_user)))
    if user is None:
        abort(404)
    return user


def keeps_every_account(user) -> bool:
    """The bureau's administrator: edits, unlocks and gives any role to any account; a
    contractor's administrator only invites and (de)activates its company's users."""
    return user.role in ADMINS


def role_of_new_account(keeper, asked) -> Role:
    """The role a new account gets: the one asked for, from the bureau's administrator; a
    contractor's administrator adds contractor users only."""
    return Role(asked) if keeps_every_account(keeper) else Role.CONTRACTOR


def company_of_new_account(keeper, asked: int | None) -> int | None:
    """The contractor a new account belongs to: the one asked for, from the bureau's
    administrator; a contractor's administrator's own, from them."""
    return asked if keeps_every_account(keeper) else keeper.contractor_id


def gives_up_own_administration(keeper, account, role, active: bool) -> bool:
    """Whether saving `account` with this role and activation would take the administrator's
    own access away: no one locks themselves out."""
    return account.id == keeper.id and (role != Role.ADMIN or not active)


def keeps_the_system(role, active: bool) -> bool:
    """Whether an account of this role and activation keeps the whole system (the bureau must
    always have one)."""
    return role == Role.ADMIN and bool(active)


def belongs_to_a_contractor(role) -> bool:
    """Whether an account of this role must belong to a contractor (and others must not)."""
    return role in CONTRACTORS


# An account made on its first sign-in with an outside identity is never a manager's or an
# administrator's: those are given by an administrator, on purpose.
ROLES_MADE_ON_FIRST_SIGN_IN = (Role.INSPECTOR, Role.CONTRACTOR)


def may_be_made_on_first_sign_in(role) -> bool:
    return role in ROLES_MADE_ON_FIRST_SIGN_IN
