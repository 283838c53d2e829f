"""Opening the site inside 企业微信 on a phone: a linked person is signed in without a form,
through the app's own sign-in (a local server speaking it, tests/app_servers.py); someone not
linked is told how to link, and can still reach the form."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import User
from app.core.extensions import db
from app.identity.linking import link
from app.identity.models import Provider
from tests.app_servers import AppServer
from tests.browser.helpers import assert_fits_and_passes_axe

WECOM_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.188 Mobile Safari/537.36 "
    "wxwork/4.1.22 MicroMessenger/7.0.1 NetType/WIFI Language/zh ColorScheme/Light"
)


@pytest.fixture
def apps_server():
    with AppServer() as running:
        running.trusted_hosts.add("127.0.0.1")  # the 可信域名 the console was given
        yield running


@pytest.fixture
def app_config(app_config, apps_server):
    return {**app_config, **apps_server.settings("wecom")}


@pytest.fixture
def in_wecom(browser, browser_context_args):
    phone = browser.new_context(**{**browser_context_args, "user_agent": WECOM_ON_ANDROID})
    yield phone
    phone.close()


def test_inside_wecom_a_linked_inspector_opens_a_link_and_is_signed_in_without_typing(
    in_wecom, live_server, apps_server
):
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    apps_server.add("wecom", "LiJianCha", inspector.display_name, departments=["2"])
    apps_server.signed_in["wecom"] = "LiJianCha"
    link(inspector, Provider.WECOM, "LiJianCha", inspector.display_name)
    db.session.commit()

    page = in_wecom.new_page()
    seen = []
    page.on("response", lambda r: seen.append((r.status, r.url)))
    page.goto(f"{live_server}/inbox")  # a link in an app message
    # a redirect keeps the fragment of the address it came from: the OAuth link's
    expect(page).to_have_url(re.compile(rf"{re.escape(live_server)}/inbox(#wechat_redirect)?$"))
    expect(page.locator(".who")).to_contain_text(inspector.display_name)
    assert (200, f"{live_server}/login?next=%2Finbox") not in seen, "no login form on the way"
    assert any(url.startswith(f"{apps_server.url}/connect/oauth2/authorize") for _, url in seen)
    assert_fits_and_passes_axe(page, "the inbox, signed in inside 企业微信")


def test_inside_wecom_someone_not_linked_is_told_how_and_can_still_use_the_form(
    in_wecom, live_server, apps_server
):
    apps_server.add("wecom", "XinLaiDe", "新来的")
    apps_server.signed_in["wecom"] = "XinLaiDe"

    page = in_wecom.new_page()
    page.goto(f"{live_server}/login")
    expect(page.get_by_role("heading", name="您的企业微信账号尚未绑定")).to_be_visible()
    expect(page.get_by_text("XinLaiDe")).to_be_visible()  # 企业微信 gives the UserId
    assert_fits_and_passes_axe(page, "the page for an identity not linked")

    page.get_by_role("link", name="用密码登录").click()
    expect(page.get_by_label("密码")).to_be_visible()
    assert "/login?password=1" in page.url, "the form, not the app's sign-in again"
