"""/analysis on a phone: the year's figures for a manager and for a contractor's user, with
the chart, narrowed by a tap; WCAG 2 AA and no sideways scrolling at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_fits_and_passes_axe, log_in
from tests.browser.test_notice_flow import issued_notice


@pytest.mark.parametrize("who", ["manager", "contractor"])
def test_the_year_s_patterns_on_a_phone(browser, live_server, who):
    issued_notice()  # a finding of the contractor's (安泰物业), so every figure has a row
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, who)
    if who == "contractor":  # from its company's page, its own menu being short
        page.get_by_role("link", name=re.compile("本单位")).click()
    else:
        page.locator("summary", has_text="更多").click()  # the folded part of the menu
    page.get_by_role("link", name="分析", exact=True).click()
    expect(page.get_by_role("heading", name="分析", exact=True)).to_be_visible()
    page.goto(f"{live_server}/analysis?period=year")
    expect(page.get_by_role("heading", name="分析", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="按严重程度的问题数随时间变化")).to_be_visible()
    assert_fits_and_passes_axe(page, f"analysis as {who}")
    page.locator("#top-points").scroll_into_view_if_needed()
    page.locator("section[aria-labelledby=top-points] td a").first.click()
    expect(page.get_by_role("heading", name="数字背后的问题")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ 个问题"))
    assert_fits_and_passes_axe(page, f"the findings behind a figure, as {who}")
    context.close()
