"""Signing in with 企业微信, 钉钉 or 飞书, and linking one of them: a round trip through the
app's login page, bound to this browser's session by a one-time `state`, and the account the
identity it brings back opens. Only a linked account opens, or one made on first sign-in for
a department the administrator chose, never as a manager or an administrator."""

import hmac
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import gettext as _

from app.audit import record_event
from app.auth.models import Role, User
from app.auth.users import create_user, find_user
from app.catalog.models import Contractor
from app.extensions import db
from app.identity.app_api import APP_FAILURES, AppClient, Person
from app.identity.linking import link, linked_user
from app.identity.models import ExternalIdentity, Provider

PENDING = "app_sign_in"
PENDING_SECONDS = 600  # time enough to find the phone and scan the code
SIGN_IN, LINK = "sign_in", "link"
NEW_ACCOUNT_ROLES = (Role.INSPECTOR, Role.CONTRACTOR)


class Unlinked(Exception):
    """The identity is linked to no account, and none may be made for it."""


class Deactivated(Exception):
    """The identity's account is deactivated."""


def begin(provider: Provider, intent: str, next_path: str = "", started_by: str = "") -> str:
    """Remember in this browser's session the round trip starting now (for a link, which
    account's session started it); its `state`."""
    state = secrets.token_hex(16)  # 企业微信 takes letters and digits only
    session[PENDING] = {
        "state": state,
        "provider": provider.value,
        "intent": intent,
        "next": next_path,
        "started_by": started_by,
        "at": time.time(),
    }
    return state


def take_pending(provider: Provider, state: str) -> dict | None:
    """The round trip this browser started with `provider` and `state`, once: it is
    forgotten whatever comes back, so no state (nor the code beside it) works twice."""
    pending = session.pop(PENDING, None)
    if (
        not isinstance(pending, dict)
        or pending.get("provider") != provider.value
        or not hmac.compare_digest(str(pending.get("state", "")), state)
        or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS
    ):
        return None
    return pending


def account_for(app: AppClient, person: Person) -> User:
    """The account the person's identity opens: the one it is linked to, else one made now
    if the app's rule for new accounts takes them. Unlinked or Deactivated otherwise."""
    user = linked_user(app.provider, person.subject)
    if user is not None:
        return user
    if _identity(app.provider, person.subject) is not None:
        raise Deactivated
    user = account_on_first_sign_in(app, person)
    if user is None:
        raise Unlinked
    return user


def _identity(provider: Provider, subject: str) -> ExternalIdentity | None:
    return db.session.scalar(
        sa.select(ExternalIdentity).filter_by(provider=provider, subject=subject)
    )


@dataclass(frozen=True)
class NewAccountRule:
    """Who gets an account on first sign-in: members of these directory departments, with
    this role (and, for a contractor's people, the contractor of this full name)."""

    departments: frozenset[str]
    role: Role
    contractor: str = ""


def new_account_rule(app: AppClient) -> NewAccountRule | None:
    """The app's rule for new accounts, None when off. ValueError (when the app starts) for
    settings that would make accounts nobody should get this way: a manager's or an
    administrator's, or a contractor's of no named company."""
    prefix = f"XUNJIAN_{app.provider.name}_AUTO_CREATE_"
    wanted = app.setting("AUTO_CREATE_DEPARTMENTS")
    departments = frozenset(d.strip() for d in wanted.split(",") if d.strip())
    role, contractor = app.setting("AUTO_CREATE_ROLE"), app.setting("AUTO_CREATE_CONTRACTOR")
    if not departments and not role and not contractor:
        return None
    if not departments or not role:
        raise ValueError(f"set both {prefix}DEPARTMENTS and {prefix}ROLE")
    if role not in {r.value for r in NEW_ACCOUNT_ROLES}:
        raise ValueError(f"{prefix}ROLE must be inspector or contractor, never {role!r}")
    if (role == Role.CONTRACTOR.value) != bool(contractor):
        raise ValueError(
            f"{prefix}CONTRACTOR (a contractor's full name) goes with the contractor role, "
            "and only with it"
        )
    return NewAccountRule(departments, Role(role), contractor)


def account_on_first_sign_in(app: AppClient, person: Person) -> User | None:
    """A new account linked to the person, if the app's rule takes their department."""
    rule = new_account_rule(app)
    if rule is None:
        return None
    try:
        person = app.in_directory(person)
    except APP_FAILURES as error:
        current_app.logger.warning(
            "directory lookup failed; no account made",
            extra={"provider": app.provider.value, "error": f"{type(error).__name__}: {error}"},
        )
        return None
    department = next((d for d in person.departments if d in rule.departments), None)
    if department is None:
        return None
    contractor_id = None
    if rule.role == Role.CONTRACTOR:
        contractor = db.session.scalar(sa.select(Contractor).filter_by(name=rule.contractor))
        if contractor is None or not contractor.active:
            current_app.logger.error(
                "no account made: the contractor for new accounts is not an active one",
                extra={"provider": app.provider.value},
            )
            return None
        contractor_id = contractor.id
    user = create_user(
        _free_username(app.provider, person.subject),
        person.name[:100] or person.subject[:100],
        rule.role,
        secrets.token_urlsafe(32),  # nobody knows it: the app is the way in
        contractor_id=contractor_id,
    )
    link(user, app.provider, person.subject, person.name[:200])
    record_event(
        "account_created_on_sign_in",
        user,
        to_state=rule.role.value,
        detail=_(
            "%(app)s %(name)s, department %(department)s",
            app=app.provider.label,
            name=person.name,
            department=department,
        ),
        actor=user,
    )
    return user


def _free_username(provider: Provider, subject: str) -> str:
    """A username from the identity, as the users' form would take it, not yet taken."""
    base = f"{provider.value}-{re.sub(r'[^A-Za-z0-9_.-]', '-', subject)}"[:58]
    name, n = base, 1
    while find_user(name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
