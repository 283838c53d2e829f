"""What 企业微信, 钉钉 and 飞书 have in common for us: an app of the bureau's own, reached
through JSON over HTTPS with its id and secret, whose access token is kept until shortly
before it expires and fetched anew once if the service calls it invalid.

The services answer HTTP 200 with an error code in the body (飞书 and 钉钉's newer API also
4xx): the body decides. No error names an address: access tokens travel in them."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from app.identity.models import Provider

TIMEOUT_SECONDS = 15
# Refresh this long before the service's own expiry, so no call goes out with a token that
# runs out on the way; the services hand out two-hour tokens.
REFRESH_MARGIN_SECONDS = 300


class AppError(Exception):
    """The service refused or could not be reached; the text says why (never an address)."""

    def __init__(self, code, message: str = ""):
        super().__init__(f"{code} {message}".strip())
        self.code = code


class RateLimited(AppError):
    """The service asks us to slow down."""


class RecipientRefused(AppError):
    """The service works, but this person cannot be sent to (not in the app's range)."""


class TokenInvalid(AppError):
    """The access token was refused: fetch a new one and try once more."""


# What asking an app can end in: its refusal, or an answer without what it should hold.
APP_FAILURES = (AppError, LookupError, TypeError, ValueError)


@dataclass(frozen=True)
class Person:
    """Someone as the app knows them: the id an identity is linked by, a name to show, and
    their directory departments (looked up only when an account may be made for them)."""

    subject: str
    name: str
    departments: tuple[str, ...] = ()


class TokenCache:
    """The apps' access tokens, in the Flask app's memory until shortly before they expire.
    Each worker process keeps its own: the services hand the same token to every caller
    while it is valid, so two processes refreshing apart is harmless. Kept by the app, not
    the module, so an app never sends a token another app fetched from a server since gone
    (tests start one app and one pretend service after another on reused ports)."""

    def __init__(self):
        self._tokens: dict[tuple, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, fetch: Callable[[], tuple[str, int]]) -> str:
        with self._lock:  # one fetch at a time: threads waiting take the fresh token
            token, expires_at = self._tokens.get(key, ("", 0.0))
            if token and time.time() < expires_at - REFRESH_MARGIN_SECONDS:
                return token
            token, lifetime = fetch()
            self._tokens[key] = (token, time.time() + lifetime)
            return token

    def forget(self, key: tuple, token: str) -> None:
        """Drop a token the service refused, unless another thread has replaced it already."""
        with self._lock:
            if self._tokens.get(key, ("",))[0] == token:
                del self._tokens[key]


def _tokens() -> TokenCache:
    return current_app.extensions.setdefault("app_tokens", TokenCache())


def call(
    method: str,
    url: str,
    *,
    query: dict | None = None,
    body: dict | None = None,
    headers: dict | None = None,
) -> dict:
    """The service's JSON answer. An HTTP error with a JSON body is an answer too (its code
    decides); without a code of its own, it gets "HTTP <status>"."""
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = _json_object(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 429:
            raise RateLimited("HTTP 429") from None
        try:
            answer = _json_object(error.read())
        except AppError:
            raise AppError(f"HTTP {error.code}") from None
        finally:
            error.close()
        if not answer.get("errcode") and not answer.get("code"):
            answer["code"] = f"HTTP {error.code}"
    except OSError as error:
        raise AppError(type(error).__name__) from None
    return answer


def _json_object(raw: bytes) -> dict:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise AppError("the answer is no JSON") from None
    if not isinstance(answer, dict):
        raise AppError(f"the answer is no JSON object but a {type(answer).__name__}")
    return answer


class AppClient:
    """One provider's app, as the settings of the running app describe it. Subclasses give
    the addresses, the calls and the codes that mean "invalid token", "slow down" and "not
    this person"."""

    provider: Provider
    required_settings: tuple[str, ...] = ()  # what must all be set for people to sign in
    user_agent_marks: tuple[str, ...] = ()  # what the app's own browser says it is
    invalid_token_codes: frozenset = frozenset()
    rate_limited_codes: frozenset = frozenset()
    recipient_codes: frozenset = frozenset()
    official_api: str = ""
    official_login: str = ""

    def __init__(self, config=None):
        self.config = config if config is not None else current_app.config

    def setting(self, name: str) -> str:
        return str(self.config.get(f"{self.provider.name}_{name}") or "").strip()

    @property
    def api(self) -> str:
        return (self.setting("API_BASE") or self.official_api).rstrip("/")

    def login_page(self, official: str) -> str:
        """Where the person's browser goes to sign in: the service's own page, or the one
        LOGIN_BASE names (a gateway, 政务微信, the tests' server)."""
        return (self.setting("LOGIN_BASE") or official).rstrip("/")

    @property
    def app_id(self) -> str:
        raise NotImplementedError

    @property
    def secret(self) -> str:
        raise NotImplementedError

    @property
    def can_sign_in(self) -> bool:
        return all(self.setting(name) for name in self.required_settings)

    @property
    def can_message(self) -> bool:
        return self.can_sign_in

    def check_settings(self) -> None:
        """ValueError, when the app starts, for an app half configured."""
        given = [name for name in self.required_settings if self.setting(name)]
        if given and len(given) < len(self.required_settings):
            missing = ", ".join(
                f"XUNJIAN_{self.provider.name}_{name}"
                for name in self.required_settings
                if name not in given
            )
            raise ValueError(f"{self.provider.name} sign-in is half configured: set {missing} too")

    def opened_inside(self, user_agent: str) -> bool:
        """Whether the page was opened in the app's own browser."""
        agent = user_agent.lower()
        return any(mark in agent for mark in self.user_agent_marks)

    # --- the access token --------------------------------------------------------------

    def fetch_token(self) -> tuple[str, int]:
        """A new app access token from the service, and its lifetime in seconds."""
        raise NotImplementedError

    def _token_key(self) -> tuple:
        return (self.provider, self.api, self.app_id, self.secret)

    def with_token(self, request: Callable[[str], dict]) -> dict:
        """The checked answer of `request(token)` with the cached token; if the service calls
        the token invalid, once more with a new one."""
        key, tokens = self._token_key(), _tokens()
        token = tokens.get(key, self.fetch_token)
        try:
            return self.checked(request(token))
        except TokenInvalid:
            tokens.forget(key, token)
        token = tokens.get(key, self.fetch_token)
        try:
            return self.checked(request(token))
        except TokenInvalid as error:
            raise AppError(error.code, "the service refuses a new access token too") from None

    def checked(self, answer: dict) -> dict:
        """The answer, if its code says success; else the error it means."""
        code = answer.get("errcode") or answer.get("code") or 0
        if not code:
            return answer
        message = str(answer.get("errmsg") or answer.get("msg") or answer.get("message") or "")
        if code in self.invalid_token_codes:
            raise TokenInvalid(code, message)
        if code in self.rate_limited_codes:
            raise RateLimited(code, message)
        if code in self.recipient_codes:
            raise RecipientRefused(code, message)
        raise AppError(code, message)

    # --- what the app does for us -------------------------------------------------------

    def sign_in_url(self, state: str, redirect_uri: str, *, in_app: bool) -> str:
        """Where to send the browser: the QR-code page on a desktop, the app's silent
        OAuth inside the app."""
        raise NotImplementedError

    def person_from_code(self, code: str, redirect_uri: str) -> Person:
        """Who signed in, from the one-time code the service sent the browser back with."""
        raise NotImplementedError

    def in_directory(self, person: Person) -> Person:
        """The person with their name and departments from the organisation's directory."""
        raise NotImplementedError

    def send_text(self, subject: str, text: str) -> None:
        """A text message from the app to one person."""
        raise NotImplementedError
