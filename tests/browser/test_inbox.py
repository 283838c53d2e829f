"""The inbox on a phone: the bell's count on every page, open a message, mark all read; with
and without scripts; WCAG 2 AA and no sideways scrolling at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from tests.browser.helpers import assert_fits_and_passes_axe, log_in
from tests.browser.test_notice_flow import issued_notice


@pytest.mark.parametrize("scripts", [True, False])
def test_the_contractor_reads_the_inbox_on_a_phone(browser, live_server, scripts):
    notice = issued_notice()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, java_script_enabled=scripts
    )
    page = context.new_page()
    log_in(page, live_server, "contractor")
    bell = page.get_by_role("link", name=re.compile("收件箱"))
    expect(bell).to_contain_text("1")
    if scripts:
        assert_fits_and_passes_axe(page, "home with the bell")
    bell.click()
    expect(page.get_by_role("heading", name="收件箱")).to_be_visible()
    if scripts:
        assert_fits_and_passes_axe(page, "inbox")
    page.get_by_role("link", name=re.compile(re.escape(notice.number))).click()
    expect(page).to_have_url(re.compile(rf"/notices/{notice.id}$"))
    expect(page.get_by_role("link", name="收件箱", exact=True)).to_be_visible()  # none unread

    second = issued_again(notice)
    page.goto(f"{live_server}/inbox")
    expect(page.get_by_role("link", name=re.compile(re.escape(second)))).to_be_visible()
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.get_by_role("status")).to_contain_text("已全部标为已读")
    expect(page.locator(".inbox .unread")).to_have_count(0)
    if scripts:
        for path in ("/account/notifications", "/robots"):
            page.goto(f"{live_server}{path}")
            assert_fits_and_passes_axe(page, path)
    context.close()


def issued_again(notice) -> str:
    """Another notice for the same contractor, issued; its number."""
    again = issued_notice()
    db.session.commit()
    assert again.contractor_id == notice.contractor_id
    return again.number
