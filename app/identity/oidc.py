"""Sign-in with a bureau's own OpenID Connect service, through Authlib's Flask client: the
issuer's discovery document, the authorization code flow with PKCE (S256), and an ID token
whose signature (against the issuer's published keys), issuer, audience, nonce and expiry are
all checked before its subject is believed."""

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, current_app
from joserfc.errors import JoseError

from app.identity import provisioning

CLIENT = "oidc"
REQUIRED = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
TIMEOUT_SECONDS = 10  # a service that does not answer must not hold a server worker for long


class SignInFailed(Exception):
    """The service said no, could not be reached, or what came back cannot be believed."""


def setup(app: Flask) -> None:
    """Check the settings and make the client; with none of them set, there is no OIDC."""
    given = [key for key in REQUIRED if app.config.get(key)]
    if not given:
        return
    if len(given) < len(REQUIRED):
        missing = ", ".join(f"XUNJIAN_{key}" for key in REQUIRED if key not in given)
        raise ValueError(f"OIDC sign-in is half configured: set {missing} too")
    provisioning.check_settings(
        app.config["OIDC_AUTO_CREATE_GROUP"],
        app.config["OIDC_AUTO_CREATE_ROLE"],
        app.config["OIDC_AUTO_CREATE_CONTRACTOR"],
        prefix="XUNJIAN_OIDC_",
    )
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer(app)}/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["OIDC_SCOPE"],
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )


def issuer(app: Flask) -> str:
    return app.config["OIDC_ISSUER"].rstrip("/")


def is_configured() -> bool:
    return "authlib.integrations.flask_client" in current_app.extensions


def _client():
    client = current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT)
    # The discovery document must be the configured issuer's own: tokens are then checked
    # against the issuer it names, so a document naming another would let that one sign us in.
    named = client.load_server_metadata().get("issuer", "").rstrip("/")
    if named != issuer(current_app):
        raise SignInFailed(f"the discovery document names issuer {named!r}")
    return client


def start(redirect_uri: str):
    """The redirect to the service's sign-in page; state, nonce and PKCE verifier are kept
    in the session until the callback."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except requests.RequestException as error:
        raise SignInFailed(str(error)) from error


def verified_claims() -> dict:
    """The ID token's claims from this callback, once the code has been exchanged (with its
    PKCE verifier) and the token's signature, issuer, audience, nonce and expiry checked."""
    try:
        client = _client()
        token = client.authorize_access_token(claims_options=_claims_options(client))
    except (OAuthError, JoseError, requests.RequestException) as error:
        raise SignInFailed(str(error) or type(error).__name__) from error
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise SignInFailed("the service answered without an ID token")
    return dict(claims)


def _claims_options(client) -> dict:
    """What the ID token must say beside what Authlib checks: that it is for this client. Left
    to itself Authlib takes a token for another audience when its `azp` names this client."""
    return {
        "iss": {"essential": True, "value": client.load_server_metadata()["issuer"]},
        "aud": {"essential": True, "value": client.client_id},
    }


def display_of(claims: dict) -> str:
    """How the person is named to them and to the administrator; never used to find anyone."""
    for claim in ("name", "preferred_username", "email"):
        if isinstance(claims.get(claim), str) and claims[claim].strip():
            return claims[claim].strip()[:200]
    return claims["sub"][:200]


def in_auto_create_group(claims: dict) -> bool:
    """Whether the administrator lets this identity have an account made on first sign-in."""
    group = current_app.config["OIDC_AUTO_CREATE_GROUP"]
    if not group:
        return False
    groups = claims.get(current_app.config["OIDC_GROUPS_CLAIM"]) or []
    if isinstance(groups, str):
        groups = [groups]
    return group in groups
