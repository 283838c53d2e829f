"""The outside sign-in services this server offers, as the login page and /account/identities
list them. A service adds one function to REGISTRY that describes it when it is configured
and answers None when it is not."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from app.identity import apps, oidc
from app.identity.models import Provider


@dataclass(frozen=True)
class SignInService:
    provider: Provider
    label: str  # the button's name for it
    sign_in_endpoint: str  # GET, keeps ?next=: signs in the account the identity is linked to
    link_endpoint: str  # GET with ?csrf_token= (views.require_csrf_in_query): links the
    # identity to the account signed in
    invitation_endpoint: str  # GET with the invitation's token: accepts it with the identity


def _oidc() -> SignInService | None:
    if not oidc.is_configured():
        return None
    label = current_app.config["OIDC_NAME"] or str(Provider.OIDC.label)
    return SignInService(
        Provider.OIDC,
        label,
        "identity.oidc_login",
        "identity.oidc_link",
        "identity.oidc_invitation",
    )


def _app(provider: Provider) -> Callable[[], SignInService | None]:
    """企业微信, 钉钉 or 飞书: a QR code on a computer, no typing inside the app."""

    def describe() -> SignInService | None:
        if not apps.is_configured(provider):
            return None
        return SignInService(
            provider,
            str(provider.label),
            apps.sign_in_endpoint(provider),
            apps.link_endpoint(provider),
            f"identity.{provider.value}_invitation",
        )

    return describe


REGISTRY: list[Callable[[], SignInService | None]] = [
    _oidc,
    *(_app(provider) for provider in apps.APP_PROVIDERS),
]


def configured_providers() -> list[SignInService]:
    return [service for describe in REGISTRY if (service := describe()) is not None]


def label_of(provider: Provider) -> str:
    """A configured service's own name (the bureau's SSO by its name), else the provider's."""
    named = {service.provider: service.label for service in configured_providers()}
    return named.get(provider, str(provider.label))
