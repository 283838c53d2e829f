"""Keeping accounts, as the administrators' pages do it: each action writes, audits and commits.
A contractor's administrator keeps its own company's users (app/auth/access.py says which)."""

from flask_babel import gettext as _

from app.auth.access import company_of_new_account, role_of_new_account
from app.auth.models import User
from app.auth.throttle import unlock_account
from app.auth.users import create_user, set_active, update_user
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import require
from app.organisation.invitations import invite


def add_account(keeper: User, *, role, contractor_id, **fields) -> tuple[User, str]:
    """A new account, invited at once; returns it and the link to show its keeper, once.
    Refused when the username is taken."""
    user = create_user(
        fields["username"],
        fields["display_name"],
        role_of_new_account(keeper, role),
        contractor_id=company_of_new_account(keeper, contractor_id),
        phone=fields["phone"],
        email=fields["email"],
    )
    link = invite(user, keeper)
    db.session.commit()
    return user, link


def save_account(user: User, **fields) -> None:
    """Change an account; Refused when its new username is taken by another."""
    update_user(user, **fields)
    db.session.commit()


def reinvite(user: User, keeper: User) -> str:
    """A new link for someone who lost theirs or their password; the old link stops working."""
    link = invite(user, keeper)
    db.session.commit()
    return link


def change_activation(user: User, keeper: User, active: bool) -> None:
    require(user.id != keeper.id, _("You cannot deactivate your own account."))
    set_active(user, active)
    db.session.commit()


def unlock(user: User) -> None:
    """Let in again an account locked after failed logins."""
    unlock_account(user.username)
    record_event("user_unlocked", user)
    db.session.commit()
