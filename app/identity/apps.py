"""The three apps people spend the day in: 企业微信, 钉钉 and 飞书. Each is off until its id
and secret are set; then people sign in with it (a QR code on a desktop, nothing to type
inside the app) and hear from it in person.

For the list of sign-in services (the login page, /account/identities): `is_configured`,
`sign_in_endpoint` (GET, keeps ?next=) and `link_endpoint` (GET with the page's ?csrf_token=,
and ?next= to come back to; /account/identities by default)."""

import sqlalchemy as sa

from app.core.extensions import db
from app.identity.app_api import AppClient
from app.identity.dingtalk import DingTalk
from app.identity.feishu import Feishu
from app.identity.models import ExternalIdentity, Provider
from app.identity.wecom import WeCom

APPS: dict[Provider, type[AppClient]] = {
    Provider.WECOM: WeCom,
    Provider.DINGTALK: DingTalk,
    Provider.FEISHU: Feishu,
}
APP_PROVIDERS = tuple(APPS)


def client(provider: Provider, config=None) -> AppClient:
    """The provider's app as the settings (the running app's by default) describe it."""
    return APPS[provider](config)


def sign_in_endpoint(provider: Provider) -> str:
    return f"identity.{provider.value}_login"


def link_endpoint(provider: Provider) -> str:
    return f"identity.{provider.value}_link"


def is_configured(provider: Provider) -> bool:
    """Whether people can sign in with (and link) this provider's app."""
    return provider in APPS and client(provider).can_sign_in


def sign_in_apps() -> list[AppClient]:
    """The apps people can sign in with, in the order the login page shows them."""
    return [app for app in map(client, APP_PROVIDERS) if app.can_sign_in]


def opened_in(user_agent: str) -> AppClient | None:
    """The configured app whose own browser opened the page, if any."""
    return next((app for app in sign_in_apps() if app.opened_inside(user_agent)), None)


def personal_addresses(user_ids: list[int]) -> dict[int, list[tuple[Provider, str]]]:
    """Where each user can be messaged in person: the apps they linked that can send."""
    providers = [p for p in APP_PROVIDERS if client(p).can_message]
    if not user_ids or not providers:
        return {}
    rows = db.session.execute(
        sa.select(ExternalIdentity.user_id, ExternalIdentity.provider, ExternalIdentity.subject)
        .where(
            ExternalIdentity.user_id.in_(user_ids),
            ExternalIdentity.provider.in_(providers),
        )
        .order_by(ExternalIdentity.id)
    )
    addresses: dict[int, list[tuple[Provider, str]]] = {}
    for user_id, provider, subject in rows:
        addresses.setdefault(user_id, []).append((provider, subject))
    return addresses
