"""Accounts made on an outside identity's first sign-in: only where the administrator allowed
it (one directory group), and only with the role they chose, which is never manager or admin.
Such an account has no password anyone knows: its linked identity is its way in."""

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.access import belongs_to_a_contractor, may_be_made_on_first_sign_in
from app.auth.models import Role, User
from app.auth.users import create_user, find_user
from app.catalog.models import Contractor
from app.core.extensions import db
from app.core.refusals import require
from app.identity.linking import link
from app.identity.models import Provider


def check_settings(
    group: str, role: str, contractor: str, *, prefix: str, group_setting: str = "GROUP"
) -> None:
    """Refuse, when the app starts, settings that would make accounts nobody should get
    this way: a manager's or an administrator's, or a contractor's of no named company.
    `group_setting` names the directory setting (an OIDC group, the apps' departments)."""
    if not group and not role and not contractor:
        return
    if not group or not role:
        raise ValueError(
            f"set both {prefix}AUTO_CREATE_{group_setting} and {prefix}AUTO_CREATE_ROLE"
        )
    if not may_be_made_on_first_sign_in(role):
        raise ValueError(
            f"{prefix}AUTO_CREATE_ROLE must be inspector or contractor, never {role!r}"
        )
    if belongs_to_a_contractor(role) != bool(contractor):
        raise ValueError(
            f"{prefix}AUTO_CREATE_CONTRACTOR (a contractor's full name) goes with the "
            "contractor role, and only with it"
        )


def create_account(
    provider: Provider,
    subject: str,
    *,
    display: str,
    username_hint: str,
    role: str,
    contractor_name: str = "",
) -> User:
    """Make an account for this identity and link it to it: audited as a user created and
    an identity linked. Refused for a role beyond ROLES_MADE_ON_FIRST_SIGN_IN, or a contractor
    not found."""
    role = Role(role)
    require(
        may_be_made_on_first_sign_in(role),
        _("Accounts made on first sign-in cannot have this role."),
    )
    contractor_id = None
    if belongs_to_a_contractor(role):
        contractor = db.session.scalar(sa.select(Contractor).filter_by(name=contractor_name))
        require(
            contractor is not None and contractor.active,
            _("The contractor chosen for new accounts is not in the list of active contractors."),
        )
        contractor_id = contractor.id
    user = create_user(
        _free_username(username_hint or f"{provider.value}-{subject}"),
        display[:100],
        role,
        secrets.token_urlsafe(32),  # hashed and forgotten: no one can sign in with it
        contractor_id=contractor_id,
    )
    link(user, provider, subject, display)
    return user


def _free_username(hint: str) -> str:
    """The hint if no account has it, else the hint with the first free number after it: a
    new account never takes over, nor is taken for, one that exists."""
    base = candidate = hint.strip()[:56]
    number = 1
    while find_user(candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
