"""An invitation on phones: a contractor's administrator adds a colleague and passes on the
link; the colleague opens it on their own phone and sets a password."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import assert_fits_and_passes_axe, log_in

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_a_contractor_administrator_invites_a_colleague_who_sets_a_password(browser, live_server):
    admin_phone = browser.new_context(**PHONE, locale="zh-CN")
    admin_phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = admin_phone.new_page()
    log_in(page, live_server, "contractor-admin")
    page.get_by_text("更多").click()
    page.get_by_role("link", name="用户").click()
    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("cook")
    page.get_by_label("姓名").fill("厨师小王")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", name="邀请 厨师小王")).to_be_visible()
    link = page.get_by_role("textbox", name="邀请链接").input_value()
    assert re.search(r"/invite/[\w-]{32,}$", link)
    expect(page.get_by_role("img", name="邀请链接二维码")).to_be_visible()
    assert_fits_and_passes_axe(page, "the invitation link")
    page.get_by_role("button", name="复制链接").click()
    expect(page.get_by_text("已复制。")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == link

    colleague_phone = browser.new_context(**PHONE, locale="zh-CN")
    own = colleague_phone.new_page()
    own.goto(live_server + link[link.index("/invite/") :])
    expect(own.get_by_text("厨师小王，欢迎使用")).to_be_visible()
    assert_fits_and_passes_axe(own, "the invitation")
    own.get_by_label("新密码", exact=True).fill("cook-pass-123")
    own.get_by_label("再次输入新密码").fill("cook-pass-123")
    own.get_by_role("button", name="设置密码").click()
    expect(own.get_by_text("密码已设置，请以 cook 登录。")).to_be_visible()
    log_in(own, live_server, "cook", password="cook-pass-123")
    admin_phone.close()
    colleague_phone.close()
