"""A notice on a phone: the contractor acknowledges and reports a fix with a photo; the
inspector accepts it on site; the notice closes."""

import io
import re

import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.photos import read_signature
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.lifecycle import draft_notices, issue
from app.notices.models import Notice, NoticeStatus, ReceiptWay
from tests.browser.helpers import SUBMIT_MS, assert_fits_and_passes_axe, log_in


def jpeg_bytes(color):
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), color).save(buffer, "JPEG")
    return buffer.getvalue()


def issued_notice() -> Notice:
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    site = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    for index, item in enumerate(inspection.items):
        record_answer(item, Answer.FAIL if index == 0 else Answer.PASS, inspector)
    record_note(inspection.items[0], "大堂地面有大片水渍，未放警示牌", inspector)
    attach_photo(inspection.items[0], jpeg_bytes((120, 120, 160)), inspector)
    submit(inspection, inspector)
    (notice,) = draft_notices(inspection, inspector)
    issue(notice, inspector)
    db.session.commit()
    return notice


def test_contractor_fixes_and_inspector_closes(browser, live_server, tmp_path):
    notice = issued_notice()
    photo = tmp_path / "fixed.jpg"
    photo.write_bytes(jpeg_bytes((40, 160, 60)))

    phone = browser.new_context(
        viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    log_in(page, live_server, "contractor")
    expect(page.get_by_role("heading", name=re.compile("待签收的整改通知书"))).to_be_visible()
    page.get_by_role("link", name=notice.number).click()
    expect(page.get_by_text("大堂地面有大片水渍，未放警示牌")).to_be_visible()
    assert_fits_and_passes_axe(page, "issued notice")
    page.get_by_role("button", name="签收").click()
    # signing, as reporting a fix, keeps the notice's PDF as a new version before the answer
    expect(page.get_by_role("status").first).to_contain_text("已签收", timeout=SUBMIT_MS)
    page.get_by_role("textbox", name="整改情况").fill("已拖干地面并放置警示牌，增加雨天巡查")
    page.get_by_label("整改后照片").set_input_files(photo)
    page.get_by_role("button", name="报告整改").click()
    expect(page.get_by_text("已报整改，待验收").first).to_be_visible(timeout=SUBMIT_MS)
    phone.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    log_in(page, live_server, "inspector")
    expect(page.get_by_role("heading", name=re.compile("待现场验收的整改"))).to_be_visible()
    page.get_by_role("link", name=notice.number).click()
    expect(page.get_by_role("img", name=re.compile("整改照片 1"))).to_be_visible()
    assert_fits_and_passes_axe(page, "notice to verify")
    page.get_by_label("通过：已整改").check()
    page.get_by_role("button", name="提交验收结果").click()
    expect(page.get_by_text("已销号").first).to_be_visible()
    page.goto(f"{live_server}/notices?status=all")
    assert_fits_and_passes_axe(page, "notice list")
    phone.close()

    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == NoticeStatus.CLOSED


def test_the_contractor_signs_with_a_finger_on_a_360px_phone(browser, live_server):
    notice = issued_notice()
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    log_in(page, live_server, "contractor")
    page.goto(f"{live_server}/notices/{notice.id}")
    pad = page.get_by_role("img", name="签名框")
    expect(pad).to_be_visible()
    page.wait_for_function("document.querySelector('canvas[data-signature-pad]').width > 0")
    assert_fits_and_passes_axe(page, "notice with the signature box")

    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        x = box["x"] + 20 + step * (box["width"] - 40) / 11
        y = box["y"] + box["height"] * (0.3 if step % 2 else 0.7)
        page.mouse.move(x, y, steps=4)
    page.mouse.up()
    expect(page.locator("input[name=signature]")).to_have_value(
        re.compile(r"^data:image/png;base64,")
    )
    page.get_by_role("button", name="清除重签").click()
    expect(page.locator("input[name=signature]")).to_have_value("")
    page.mouse.move(box["x"] + 30, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 30, box["y"] + box["height"] - 40, steps=10)
    page.mouse.up()

    page.get_by_role("button", name="签收", exact=True).click()
    # signing keeps the notice's PDF, with the signature, as a new version before the answer
    expect(page.get_by_role("status").first).to_contain_text("已签收", timeout=SUBMIT_MS)
    expect(page.get_by_role("img", name=re.compile("的签名"))).to_be_visible()
    assert_fits_and_passes_axe(page, "signed notice")
    db.session.expire_all()
    receipt = db.session.get(Notice, notice.id).receipt
    assert receipt.way == ReceiptWay.SIGNED and receipt.signature_digest
    with Image.open(io.BytesIO(read_signature(receipt.signature_digest))) as drawn:
        left, top, right, bottom = drawn.getchannel("A").getbbox()
        assert right - left > drawn.width / 2, "the one stroke drawn after clearing crosses it"
    phone.close()
