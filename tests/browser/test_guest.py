"""An external checker on a guest link, on a phone with a flaky connection."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.inspections.checklist import Plan
from app.inspections.external import issue_guest_pass, start_external
from app.inspections.models import Answer, ExternalBody, InspectionItem, Scope
from tests.browser.helpers import (
    assert_fits_and_passes_axe,
    keep_the_sync_panel_redrawing,
    submit_checklist,
)


def guest_link(live_server) -> tuple[str, int]:
    manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    cleaning = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    inspection = start_external(
        Plan(Scope.STRIP, lobby, service_line=cleaning), manager, ExternalBody.HEALTH, "市卫健委"
    )
    db.session.flush()
    _, token = issue_guest_pass(inspection, manager, "市卫健委 张科长", 2)
    db.session.commit()
    return f"{live_server}/guest/{token}", inspection.id


# "redrawing": the sync panel redraws all the while, as on a slow phone where redraws overlap
# the last send; the submit must still see the outbox empty once that send is confirmed.
@pytest.mark.parametrize("redrawing", [False, True], ids=["quiet", "redrawing"])
def test_a_guest_submit_sends_the_answers_still_on_the_phone_first(browser, live_server, redrawing):
    link, inspection_id = guest_link(live_server)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = phone.new_page()
    page.goto(link)
    assert_fits_and_passes_axe(page, "the guest checklist")
    items = page.locator("li.item")
    for index in range(items.count()):
        with page.expect_response(re.compile(r"/answer$")):
            items.nth(index).get_by_role("button", name="合格", exact=True).click()
    expect(page.locator("li.item.pending")).to_have_count(0)

    # The last tap is kept on the phone: its first send fails, the next try is seconds away.
    flaky = {"drop": True}

    def answer_route(route):
        if flaky["drop"]:
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r"/answer$"), answer_route)
    items.first.get_by_role("button", name="不适用", exact=True).click()
    expect(items.first).to_have_class(re.compile(r"\bpending\b"))
    flaky["drop"] = False
    if redrawing:
        keep_the_sync_panel_redrawing(page)
    submit_checklist(page, "已提交")

    first = db.session.scalar(
        sa.select(InspectionItem)
        .where(InspectionItem.inspection_id == inspection_id)
        .order_by(InspectionItem.position)
    )
    assert first.answer == Answer.NOT_APPLICABLE, (
        "the waiting tap was sent before the submit locked it"
    )
    phone.close()


def test_the_taps_still_go_when_the_sync_panel_cannot_be_drawn(browser, live_server):
    """Whatever breaks the drawing of the sync panel, the outbox keeps sending."""
    link, _inspection_id = guest_link(live_server)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = phone.new_page()
    page.goto(link)
    page.locator("#sync .sync-progress").evaluate("bar => bar.remove()")  # each draw now throws
    items = page.locator("li.item")
    for index in range(3):
        with page.expect_response(re.compile(r"/answer$"), timeout=10_000):
            items.nth(index).get_by_role("button", name="合格", exact=True).click()
    phone.close()
