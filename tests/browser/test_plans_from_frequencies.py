"""Plans from a line's check frequencies on a 360 px phone: from the line's page a manager
chooses the route and the team, reviews the proposed plans, leaves one out, renames another
and creates them."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.plans.models import InspectionPlan
from app.plans.proposals import points_by_frequency
from tests.browser.helpers import assert_fits_and_passes_axe, log_in

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "locale": "zh-CN"}


def test_a_manager_reviews_and_creates_the_plans_of_a_lines_frequencies(browser, live_server):
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    frequencies = list(points_by_frequency(line))
    assert len(frequencies) >= 2, "the shipped cleaning line checks at several frequencies"
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(InspectionPlan))

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server}/catalog/lines/{line.id}")
    page.get_by_role("link", name="按检查频次生成计划").click()
    expect(page.get_by_role("heading", name="按检查频次生成计划")).to_be_visible()
    expect(page.get_by_label("服务项目")).to_have_value(str(line.id))
    page.locator(f'input[name="sites"][value="{lobby.id}"]').check()
    page.get_by_role("checkbox", name="张巡").check()
    assert_fits_and_passes_axe(page, "choosing the line, the route and the team")
    page.get_by_role("button", name="核对计划").click()

    expect(page.get_by_role("heading", name=f"核对{line.name}的检查计划")).to_be_visible()
    proposals = page.locator("fieldset.proposal")
    expect(proposals).to_have_count(len(frequencies))
    assert_fits_and_passes_axe(page, "the review of the proposed plans")
    proposals.nth(0).get_by_role("checkbox", name="生成此计划").uncheck()
    proposals.nth(1).get_by_label("名称").fill("大堂保洁（核对后）")
    page.get_by_role("button", name="生成所选计划").click()

    expect(page.get_by_role("heading", name="检查计划")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"已按{line.name}的检查频次生成计划")
    expect(page.get_by_role("link", name="大堂保洁（核对后）")).to_be_visible()
    assert_fits_and_passes_axe(page, "the plans with the new ones")
    page.get_by_role("link", name="大堂保洁（核对后）").click()
    expect(page.get_by_text(re.compile(r"仅检查频次为.+的检查点"))).to_be_visible()
    phone.close()

    db.session.expire_all()
    after = db.session.scalar(sa.select(sa.func.count()).select_from(InspectionPlan))
    assert after == before + len(frequencies) - 1
