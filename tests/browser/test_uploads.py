"""Every form that carries photos (a fix report, complaint evidence, the public complaint form,
an external check's documents) makes them smaller on the phone, shows its progress and
survives a dropped connection, with service workers or without (as in WeChat's browser)."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import Site
from app.core.extensions import db
from app.core.photos import read_photo
from app.feedback.complaints import accept, add_evidence, assign, file_complaint
from app.feedback.models import Complaint, ComplaintChannel, ComplaintPhoto, ComplaintStatus
from app.inspections.checklist import Plan
from app.inspections.external import start_external
from app.inspections.models import ExternalBody, ExternalDocument, InspectionPhoto, Scope
from app.notices.lifecycle import acknowledge
from app.notices.models import FixPhoto
from tests.browser.helpers import SUBMIT_MS, assert_fits_and_passes_axe, log_in, wait_until_held
from tests.browser.test_checklist import phone_photo
from tests.browser.test_guest import guest_link
from tests.browser.test_notice_flow import issued_notice

SERVICE_WORKERS = ["allow", "block"]


def phone(browser, service_workers="allow"):
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        service_workers=service_workers,
    )


def long_side(digest: str) -> int:
    """The stored photo's long side: 1600 if the phone made it smaller (the server alone
    keeps a 4000 px camera photo at 2560)."""
    with Image.open(io.BytesIO(read_photo(digest))) as image:
        return max(image.size)


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.mark.parametrize("service_workers", SERVICE_WORKERS)
def test_a_fix_photo_goes_up_small_with_progress_through_a_dropped_connection(
    browser, live_server, tmp_path, service_workers
):
    notice = issued_notice()
    acknowledge(notice, user("contractor"))
    db.session.commit()
    context = phone(browser, service_workers)
    page = context.new_page()
    log_in(page, live_server, "contractor")
    page.goto(f"{live_server}/notices/{notice.id}")

    sent, held = [], []

    def flaky(route):
        sent.append(route.request.url)
        if len(sent) == 1:
            route.abort()  # the first try never arrives
        else:
            held.append(route)

    page.route(re.compile(r"/fix$"), flaky)
    page.get_by_role("textbox", name="整改情况").fill("已拖干地面并放置警示牌")
    page.get_by_label("整改后照片").set_input_files(phone_photo(tmp_path / "fix.jpg"))
    page.get_by_role("button", name="报告整改").click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    wait_until_held(page, held, seconds=10)  # the outbox tries again after about two seconds
    assert len(held) == 1, "sent again by the outbox"
    expect(page.locator("#sync .sync-status")).to_contain_text("正在同步")
    expect(page.locator("#sync .sync-progress")).to_be_visible()
    held[0].continue_()
    expect(page.get_by_text("已报整改，待验收").first).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="整改情况已报告")).to_be_visible()

    photos = db.session.scalars(sa.select(FixPhoto)).all()
    assert len(photos) == 1 and long_side(photos[0].digest) == 1600
    context.close()


@pytest.mark.parametrize("service_workers", SERVICE_WORKERS)
def test_the_public_complaint_takes_a_photo_made_smaller(
    browser, live_server, tmp_path, service_workers
):
    context = phone(browser, service_workers)
    page = context.new_page()
    page.goto(f"{live_server}/feedback/complaint")
    assert_fits_and_passes_axe(page, "the public complaint form")
    page.get_by_label("问题概述").fill("食堂地面湿滑")
    page.get_by_label("具体情况").fill("午餐时间食堂入口地面有水，无警示牌")
    page.get_by_label(re.compile("照片")).set_input_files(phone_photo(tmp_path / "c.jpg"))
    page.wait_for_timeout(3500)  # people take a while; a form sent back at once is a bot
    page.get_by_role("button", name="提交投诉").click()
    expect(page.get_by_text(re.compile("/feedback/complaint/"))).to_be_visible()
    photo = db.session.scalar(sa.select(ComplaintPhoto).order_by(ComplaintPhoto.id.desc()))
    assert photo.uploaded_by_id is None and long_side(photo.digest) == 1600
    context.close()


def test_complaint_evidence_and_external_documents_are_made_smaller(browser, live_server, tmp_path):
    complaint, _token = file_complaint(ComplaintChannel.HOTLINE, "会议室空调不冷", "三楼")
    accept(complaint, user("manager"))
    external = start_external(
        Plan(Scope.BLOCK, db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))),
        user("manager"),
        ExternalBody.FIRE,
        "消防支队",
    )
    db.session.commit()
    context = phone(browser)
    page = context.new_page()
    log_in(page, live_server, "manager")

    page.goto(f"{live_server}/complaints/{complaint.id}")
    page.get_by_label("调查发现").fill("空调滤网堵塞")
    page.get_by_label("照片（选填）").set_input_files(phone_photo(tmp_path / "e.jpg"))
    page.get_by_role("button", name="记录调查情况").click()
    expect(page.get_by_text("空调滤网堵塞")).to_be_visible()
    photo = db.session.scalar(sa.select(ComplaintPhoto).order_by(ComplaintPhoto.id.desc()))
    assert long_side(photo.digest) == 1600

    page.goto(f"{live_server}/inspections/{external.id}/external")
    page.get_by_label(re.compile("检查人员的报告或记录")).set_input_files(
        phone_photo(tmp_path / "record.jpg")
    )
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_role("link", name=re.compile(r"record\.jpg"))).to_be_visible()
    document = db.session.scalar(sa.select(ExternalDocument).order_by(ExternalDocument.id.desc()))
    assert long_side(document.digest) == 1600
    context.close()


def test_the_guest_checklist_sends_photos_made_smaller(browser, live_server, tmp_path):
    link, _inspection_id = guest_link(live_server)
    context = phone(browser, "block")
    page = context.new_page()
    page.goto(link)
    item = page.locator("li.item").first
    with page.expect_response(re.compile(r"/answer$")):
        item.get_by_role("button", name="不合格", exact=True).click()
    with page.expect_response(re.compile(r"/photos$")):
        item.get_by_label("拍照或选择照片").set_input_files(phone_photo(tmp_path / "g.jpg"))
    photo = db.session.scalar(sa.select(InspectionPhoto).order_by(InspectionPhoto.id.desc()))
    assert long_side(photo.digest) == 1600, "the server alone would keep 2560"
    context.close()


def investigated_complaint() -> Complaint:
    """A complaint about the first contractor's service, investigated and assigned."""
    manager, contractor = user("manager"), user("contractor").contractor
    complaint, _token = file_complaint(ComplaintChannel.HOTLINE, "食堂地面湿滑", "午餐时间入口有水")
    accept(complaint, manager)
    add_evidence(complaint, manager, "现场确有积水")
    assign(complaint, manager, contractor, contractor.service_lines[0], contractor.sites[0])
    db.session.commit()
    return complaint


@pytest.mark.parametrize(
    "button, decided, shown",
    [
        ("认定属实", ComplaintStatus.UPHELD, "属实"),
        ("不予支持", ComplaintStatus.DISMISSED, "不成立"),
    ],
    ids=["uphold", "dismiss"],
)
def test_a_complaint_decision_sends_the_evidence_still_on_the_phone_first(
    browser, live_server, tmp_path, button, decided, shown
):
    complaint = investigated_complaint()
    # no service worker: once one controls the page, Chromium sends the outbox's requests
    # past the test's routes (seen in a loaded CI run), and the resend could not be held
    context = phone(browser, service_workers="block")
    page = context.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server}/complaints/{complaint.id}")

    # The evidence waits on the phone: its first send fails, the outbox's next try is held.
    sent, held = [], []

    def flaky(route):
        sent.append(route.request.url)
        if len(sent) == 1:
            route.abort()
        else:
            held.append(route)

    context.route(re.compile(r"/evidence$"), flaky)
    page.get_by_label("调查发现").fill("排水沟堵塞，已拍照")
    page.get_by_label("照片（选填）").set_input_files(phone_photo(tmp_path / "drain.jpg"))
    page.get_by_role("button", name="记录调查情况").click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    wait_until_held(page, held, seconds=30)  # the outbox pauses 2 s, then longer
    assert len(held) == 1, "sent again by the outbox"

    page.get_by_label("原因").fill(
        "经核实属实" if decided == ComplaintStatus.UPHELD else "非承包范围"
    )
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_timeout(500)  # time for a decision that did not wait to arrive first
    held[0].continue_()
    expect(page.locator("span.state", has_text=re.compile(f"^{shown}$"))).to_be_visible(
        timeout=SUBMIT_MS
    )

    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == decided
    assert "排水沟堵塞" in complaint.evidence, "the waiting evidence arrived before the decision"
    if decided == ComplaintStatus.UPHELD:
        assert len(complaint.inspection.items[0].photos) == 1, "its photo is on the finding"
    context.close()
