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

from app.auth.models import Role, User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.identity.app_api import APP_FAILURES, AppClient, Person
from app.identity.linking import linked_user
from app.identity.models import ExternalIdentity, Provider
from app.identity.provisioning import check_settings, create_account

PENDING = "app_sign_in"
PENDING_SECONDS = 600  # time enough to find the phone and scan the code
SIGN_IN, LINK, INVITATION = "sign_in", "link", "invitation"


class Unlinked(Exception):
    """The identity is linked to no account, and none may be made for it."""


class Deactivated(Exception):
    """The identity's account is deactivated."""


def begin(
    provider: Provider,
    intent: str,
    next_path: str = "",
    started_by: str = "",
    invitation: str = "",
) -> str:
    """Remember in this browser's session the round trip starting now (for a link, which
    account's session started it; to accept an invitation, its token); its `state`."""
    state = secrets.token_hex(16)  # 企业微信 takes letters and digits only
    session[PENDING] = {
        "state": state,
        "provider": provider.value,
        "intent": intent,
        "next": next_path,
        "started_by": started_by,
        "invitation": invitation,
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
    settings that would make accounts nobody should get this way (provisioning's rules)."""
    wanted = app.setting("AUTO_CREATE_DEPARTMENTS")
    departments = frozenset(d.strip() for d in wanted.split(",") if d.strip())
    role, contractor = app.setting("AUTO_CREATE_ROLE"), app.setting("AUTO_CREATE_CONTRACTOR")
    prefix = f"XUNJIAN_{app.provider.name}_"
    check_settings(
        ",".join(departments), role, contractor, prefix=prefix, group_setting="DEPARTMENTS"
    )
    if not departments:
        return None
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
    try:
        user = create_account(
            app.provider,
            person.subject,
            display=person.name[:200] or person.subject[:200],
            username_hint=f"{app.provider.value}-{re.sub(r'[^A-Za-z0-9_.-]', '-', person.subject)}",
            role=rule.role.value,
            contractor_name=rule.contractor,
        )
    except Refused as refusal:
        current_app.logger.error(
            "no account made on first sign-in",
            extra={"provider": app.provider.value, "error": str(refusal)},
        )
        return None
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
