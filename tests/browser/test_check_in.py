"""The check-in on a phone: scanning a place's QR code sends where the phone is, waiting a
moment for a slow fix but never holding the patrol's start up for long."""

import re
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.timeutil import local_today
from app.inspections.models import Inspection, Scope, Tier
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence
from tests.browser.helpers import log_in

PLACE = (32.0600, 118.7800)
METRES_PER_DEGREE_OF_LATITUDE = 111_195
FAR = {"latitude": PLACE[0] + 850 / METRES_PER_DEGREE_OF_LATITUDE, "longitude": PLACE[1]}

# The phone's answer comes late (a cold GPS), or never (a permission prompt left open).
SLOW_FIX = """
const real = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
navigator.geolocation.getCurrentPosition = (found, failed, options) =>
  setTimeout(() => real(found, failed, options), 1500);
"""
NO_ANSWER = "navigator.geolocation.getCurrentPosition = () => {};"


def lobby_with_a_location() -> Site:
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    lobby.latitude, lobby.longitude = PLACE
    db.session.commit()
    return lobby


def scan_and_start(browser, live_server, phone_script: str, patrol: str | None = None) -> tuple:
    """As the demo inspector, with the phone 850 m from the lobby: open the lobby's scan page
    and tap at once (the button of the `patrol` so named, if several are due). What the tap
    sent, how long the checklist took to open, and the page."""
    lobby = lobby_with_a_location()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={**FAR, "accuracy": 20},
        permissions=["geolocation"],
    )
    context.add_init_script(phone_script)
    page = context.new_page()
    log_in(page, live_server, "inspector")
    page.goto(f"{live_server}/scan/{lobby.scan_token}")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    tapped = time.monotonic()
    start = page.get_by_role("button", name="开始巡检")
    if patrol:
        start = page.locator("li", has_text=patrol).get_by_role("button", name="开始巡检")
    start.click()
    expect(page.get_by_role("status").filter(has_text="已答 0")).to_be_visible(timeout=15000)
    waited = time.monotonic() - tapped
    assert [request.url for request in posts] == [f"{live_server}/scan/{lobby.scan_token}"]
    return parse_qs(posts[0].post_data), waited, page


@pytest.mark.parametrize("phone_script", ["", SLOW_FIX], ids=["quick-fix", "slow-fix"])
def test_scanning_sends_where_the_phone_is_and_the_report_marks_it_far(
    browser, live_server, phone_script
):
    sent, _waited, page = scan_and_start(browser, live_server, phone_script)
    assert float(sent["latitude"][0]) == pytest.approx(FAR["latitude"])
    assert float(sent["longitude"][0]) == pytest.approx(FAR["longitude"])
    assert float(sent["accuracy"][0]) == 20
    page.goto(re.sub(r"/run$", "", page.url))
    expect(page.get_by_text("距场所约 850 米")).to_be_visible()
    page.context.close()


def test_a_phone_that_never_tells_starts_the_patrol_after_a_few_seconds(browser, live_server):
    sent, waited, page = scan_and_start(browser, live_server, NO_ANSWER)
    assert sent.get("latitude", [""]) == [""], "sent without a location"
    assert waited < 10, f"held up {waited:.1f} s"
    page.goto(re.sub(r"/run$", "", page.url))
    expect(page.get_by_text("扫码到岗")).to_be_visible()
    expect(page.get_by_text("距场所约")).to_have_count(0)
    page.context.close()


def test_with_two_patrols_due_the_one_tapped_starts_and_gets_where_the_phone_is(
    browser, live_server
):
    lobby = lobby_with_a_location()
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    night = InspectionPlan(
        name="大堂夜间保洁巡检",
        recurrence=Recurrence.DAILY,
        starts_on=local_today() - timedelta(days=1),
        tier=Tier.DAILY,
        scope=Scope.STRIP,
        service_line=line,
        stops=[PlanStop(site=lobby, position=1)],
        inspectors=[inspector],
    )
    db.session.add(night)
    db.session.commit()
    sent, _waited, page = scan_and_start(browser, live_server, SLOW_FIX, patrol=night.name)
    assert sent["visit"] == [f"{night.id}:{local_today().isoformat()}"]
    assert float(sent["latitude"][0]) == pytest.approx(FAR["latitude"])
    db.session.expire_all()
    (started,) = db.session.scalars(sa.select(Inspection).where(Inspection.plan_id == night.id))
    assert started.scan_latitude == pytest.approx(FAR["latitude"])
    page.context.close()
