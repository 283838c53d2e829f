"""Sign-in with the bureau's SSO on a phone: from the login page to the service's page and back
to the home page, against a real provider process (tests/oidc_server.py)."""

import re
import socket
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app.auth.users import find_user
from app.core.extensions import db
from app.identity.linking import link
from app.identity.models import Provider
from tests.browser.conftest import Gate
from tests.browser.helpers import assert_fits_and_passes_axe, log_in
from tests.oidc_server import OIDCProvider


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    server = OIDCProvider(tmp_path_factory.mktemp("oidc") / "provider.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def port():
    """The live server's port, chosen first: the provider must know where to send people back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_config(app_config, provider, port):
    client_id, secret = provider.register_client(f"http://127.0.0.1:{port}/login/oidc/callback")
    return {
        **app_config,
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": secret,
    }


@pytest.fixture
def live_server(app, port):
    """As tests/browser/conftest.py's, on the port the provider was told."""
    gate = Gate(app)
    server = make_server("127.0.0.1", port, gate, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    gate.close()
    server.shutdown()
    thread.join()


def answer_the_service(page, subject):
    """The provider's own page: who to sign in as."""
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_label("Subject").fill(subject)
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_a_linked_inspector_signs_in_with_the_bureaus_sso_on_a_phone(page, live_server, provider):
    link(find_user("inspector"), Provider.OIDC, "zhang.xuncha", "张巡查")
    db.session.commit()
    provider.set_user("zhang.xuncha", name="张巡查")
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())  # the mock's CSS

    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    assert_fits_and_passes_axe(page, "login page with the SSO button")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    answer_the_service(page, "zhang.xuncha")
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="使用统一身份认证登录").click()
    answer_the_service(page, "nobody.here")
    expect(page.get_by_role("heading", name="身份未绑定")).to_be_visible()
    assert_fits_and_passes_axe(page, "identity not linked")


def test_an_inspector_links_their_sso_identity_from_the_foot_of_the_page(
    page, live_server, provider
):
    """The link starts from a link, not a form: Chromium would stop a form's redirect to
    another site under the pages' form-action 'self'."""
    provider.set_user("li.xuncha", name="李巡查")
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    log_in(page, live_server, "inspector")
    page.get_by_role("link", name="登录方式").click()
    page.get_by_role("link", name="绑定统一身份认证").click()
    answer_the_service(page, "li.xuncha")
    page.wait_for_url(f"{live_server}/account/identities")
    expect(page.get_by_text("已绑定统一身份认证身份。")).to_be_visible()
    expect(page.get_by_text("李巡查")).to_be_visible()
    assert_fits_and_passes_axe(page, "sign-in identities")
