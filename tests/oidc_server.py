"""A real OpenID Connect provider for the tests: oidc-provider-mock (Authlib's provider, from
PyPI) in a process of its own on a free 127.0.0.1 port, spoken to over HTTP as a bureau's
identity service would be. Clients register first (redirect URIs, a secret the token endpoint
checks), and the sign-in form is answered by posting the subject the test chooses.

Beside the mock's own checks it does what a bureau's service does or may do:
- PKCE is required: an authorization request without an S256 `code_challenge` is refused,
  and a code is exchanged only with the verifier it was asked for with;
- on a test's word (`next_id_token`), the next ID token it issues is changed and signed again:
  for another audience, issuer or nonce, with a short life, or with a key it never published.

Run alone: python -m tests.oidc_server PORT"""

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from tests.helpers import clock_environment

AUTHORIZE = "/oauth2/authorize"
TOKEN = "/oauth2/token"
CONTROL = "/_test/next-id-token"


class OIDCProvider:
    """The provider's process, and what a test asks of it."""

    def __init__(self, log: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.oidc_server", str(self.port)],
                cwd=Path(__file__).resolve().parents[1],
                env={**os.environ, **clock_environment()},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the OIDC provider exited; see {self.log}") from None
                time.sleep(0.1)
        raise RuntimeError(f"the OIDC provider did not answer; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """A new client allowed to come back to `redirect_uri`: its id and secret."""
        answer = requests.post(
            f"{self.issuer}/oauth2/clients",
            json={
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            timeout=5,
        )
        answer.raise_for_status()
        return answer.json()["client_id"], answer.json()["client_secret"]

    def set_user(self, subject: str, **claims) -> None:
        """The claims the provider gives `subject` in its ID tokens (name, groups, ...)."""
        requests.put(f"{self.issuer}/users/{subject}", json=claims, timeout=5).raise_for_status()

    def next_id_token(self, **changes) -> None:
        """Change the next ID token issued: claims to set (aud, iss, nonce, ...), `lifetime`
        in seconds from its issue, or `foreign_key=True` to sign it with an unpublished key."""
        requests.post(f"{self.issuer}{CONTROL}", json=changes, timeout=5).raise_for_status()

    def authorize(self, authorize_url: str, subject: str) -> str:
        """Answer the sign-in form at `authorize_url` as `subject`: where the provider sends
        the browser back (the client's redirect URI with code and state, or an error)."""
        answer = requests.post(
            authorize_url, data={"sub": subject}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]

    def deny(self, authorize_url: str) -> str:
        answer = requests.post(
            authorize_url, data={"action": "deny"}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]


def build_app():
    """The mock provider with PKCE required and the test's token changes."""
    import flask
    import joserfc.jwk
    import joserfc.jwt
    import oidc_provider_mock

    provider = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)
    challenges: dict[str, str] = {}  # authorization code -> its S256 code_challenge
    changes: dict = {}  # for the next ID token

    @provider.before_request
    def require_pkce():
        request = flask.request
        if request.path == AUTHORIZE and request.args.get("code_challenge_method") != "S256":
            return "PKCE with S256 is required", 400
        if request.path == TOKEN and request.form.get("grant_type") == "authorization_code":
            verifier = request.form.get("code_verifier", "")
            if challenges.get(request.form.get("code", "")) != s256(verifier):
                answer = {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"}
                return flask.jsonify(answer), 400
        return None

    @provider.after_request
    def remember_and_change(response):
        request = flask.request
        if request.path == AUTHORIZE and request.method == "POST" and response.status_code == 302:
            code = parse_qs(urlsplit(response.location).query).get("code")
            if code:
                challenges[code[0]] = request.args["code_challenge"]
        if request.path == TOKEN and response.status_code == 200 and changes:
            body = response.get_json()
            body["id_token"] = changed_token(body["id_token"], dict(changes))
            changes.clear()
            response.set_data(json.dumps(body))
        return response

    def changed_token(id_token: str, wanted: dict) -> str:
        header, claims = (json.loads(_unbase64(part)) for part in id_token.split(".")[:2])
        if "lifetime" in wanted:
            claims["exp"] = claims["iat"] + wanted.pop("lifetime")
        foreign = wanted.pop("foreign_key", False)
        claims.update(wanted)
        storage = flask.g.oidc_provider_mock_storage
        key = joserfc.jwk.RSAKey.generate_key(private=True) if foreign else storage.jwk
        return joserfc.jwt.encode(header, claims, key)

    def set_next_id_token():
        changes.clear()
        changes.update(flask.request.get_json())
        return "", 204

    provider.add_url_rule(CONTROL, view_func=set_next_id_token, methods=["POST"])
    return provider


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _unbase64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


if __name__ == "__main__":
    from werkzeug.serving import make_server

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on 127.0.0.1
    make_server("127.0.0.1", int(sys.argv[1]), build_app(), threaded=True).serve_forever()
