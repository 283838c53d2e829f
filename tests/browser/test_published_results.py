"""The published results on a 360 px phone: a manager turns the page on and shows its link; a
member of the compound's staff opens it without an account."""

import sqlalchemy as sa
from playwright.sync_api import expect

from app.assessments.bulletin_drafts import publish_draft, save_prose
from app.auth.models import User
from app.core.extensions import db
from tests.browser.helpers import assert_fits_and_passes_axe, log_in

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "locale": "zh-CN"}


def test_a_manager_hands_out_the_link_and_staff_read_the_results_on_a_phone(browser, live_server):
    manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
    save_prose("2026-10", {"measures": "各单位于11月10日前完成后厨排水整改。"})
    publish_draft("2026-10", manager)

    managers_phone = browser.new_context(**PHONE)
    page = managers_phone.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server}/bulletins")
    page.get_by_role("link", name="向服务对象公布考核结果").click()
    page.get_by_role("button", name="开启公布页").click()
    expect(page.get_by_role("status")).to_contain_text("考核结果公布页已开启")
    expect(page.get_by_role("img", name="考核结果公布页链接的二维码")).to_be_visible()
    assert_fits_and_passes_axe(page, "the results page's settings")
    link = page.locator(".private-link a").get_attribute("href")
    managers_phone.close()

    staff_phone = browser.new_context(**PHONE)
    page = staff_phone.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="2026年10月")).to_be_visible()
    expect(page.get_by_text("各单位于11月10日前完成后厨排水整改。")).to_be_visible()
    assert_fits_and_passes_axe(page, "the published results")
    staff_phone.close()
