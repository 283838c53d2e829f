"""The whole loop on phones, once with service workers and once without (as inside WeChat's
browser): a spot check fails an item with a note and a photo, the notice is issued, the
contractor signs and reports a fix with a photo, the inspector accepts it, the PDF prints."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.extensions import db
from app.notices.models import FixPhoto, Notice, NoticeStatus
from tests.browser.helpers import SUBMIT_MS, assert_fits_and_passes_axe, log_in, submit_checklist
from tests.browser.test_checklist import answer, pdf_text, phone_photo, start_lobby_check
from tests.browser.test_uploads import long_side, phone


@pytest.mark.parametrize("service_workers", ["allow", "block"])
def test_the_whole_loop_on_phones(browser, live_server, tmp_path, service_workers):
    context = phone(browser, service_workers)
    page = context.new_page()
    start_lobby_check(page, live_server)
    items = page.locator("li.item")
    failed = items.first
    answer(failed, "不合格")
    failed.get_by_label("存在的问题").fill("大堂地面有大片水渍，未放警示牌")
    with page.expect_response(re.compile(r"/photos$")):  # leaving the note box saves it
        failed.get_by_label("拍照或选择照片").set_input_files(phone_photo(tmp_path / "f.jpg"))
    expect(page.locator(f"#{failed.get_attribute('id')}").get_by_role("img")).to_have_count(1)
    for index in range(1, items.count()):
        answer(items.nth(index), "合格")
    assert_fits_and_passes_axe(page, "checklist")
    submit_checklist(page, "检查报告")
    page.get_by_role("button", name="根据问题生成整改通知书").click()
    page.get_by_role("button", name="签发整改通知书").click()
    issued = page.get_by_role("status").filter(has_text="整改通知书已签发")
    expect(issued).to_be_visible(timeout=SUBMIT_MS)  # issuing renders the notice's PDF
    notice_url = page.url
    context.close()

    context = phone(browser, service_workers)
    page = context.new_page()
    log_in(page, live_server, "contractor")
    page.goto(notice_url)
    assert_fits_and_passes_axe(page, "issued notice, as the contractor")
    evidence = page.locator("a", has=page.get_by_role("img", name=re.compile("照片 1")))
    whole = page.request.get(live_server + evidence.first.get_attribute("href"))
    assert whole.ok and whole.headers["content-type"] == "image/jpeg", "the whole photo opens"
    page.get_by_role("button", name="签收").click()
    page.get_by_role("textbox", name="整改情况").fill("已拖干地面并放置警示牌")
    page.get_by_label("整改后照片").set_input_files(phone_photo(tmp_path / "x.jpg"))
    page.get_by_role("button", name="报告整改").click()
    # the fix is stamped, checked and the notice's PDF kept as a new version before the answer
    expect(page.get_by_text("已报整改，待验收").first).to_be_visible(timeout=SUBMIT_MS)
    history = page.locator(".timeline").inner_text()
    assert not re.search(r"[A-Za-z_]{3,}|=", history), f"plain words only: {history}"
    context.close()

    context = phone(browser, service_workers)
    page = context.new_page()
    log_in(page, live_server, "inspector")
    page.goto(notice_url)
    page.get_by_label("通过：已整改").check()
    page.get_by_role("button", name="提交验收结果").click()
    expect(page.get_by_text("已销号").first).to_be_visible(timeout=SUBMIT_MS)
    text = pdf_text(page, f"{notice_url}.pdf", tmp_path)
    assert "大堂地面有大片水渍" in text
    context.close()

    notice = db.session.get(Notice, int(notice_url.rsplit("/", 1)[1]))
    db.session.refresh(notice)
    assert notice.status == NoticeStatus.CLOSED
    fix = db.session.scalar(sa.select(FixPhoto).where(FixPhoto.item_id == notice.items[0].id))
    assert long_side(fix.digest) == 1600
