"""Marking the problem on a photo before it is sent, on a phone 360 px wide: a tap on the
chosen photo opens an editor (circle, arrow, words) that works with no network; the marked-up
photo is what the server stores, and the unmarked original goes beside it as `original`."""

import io
import re

import pytest
import sqlalchemy as sa
from flask import request, request_started
from PIL import Image, ImageChops
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.photos import read_photo
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import InspectionPhoto, Scope
from app.notices.lifecycle import acknowledge
from app.notices.models import FixPhoto
from tests.browser.helpers import assert_fits_and_passes_axe, log_in
from tests.browser.test_notice_flow import issued_notice

PLAIN = (40, 60, 160)


def plain_photo(path):
    """A 12 MP camera photo of one colour, so any mark on it shows."""
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), PLAIN).save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def phone(browser):
    return browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )


@pytest.fixture
def received(app):
    """The photo files of every upload the server received: per field name, (filename, bytes)."""
    seen = []

    def note(sender, **extra):
        if request.method != "POST" or not request.files:
            return
        files = {}
        for name in request.files:
            files[name] = []
            for part in request.files.getlist(name):
                files[name].append((part.filename, part.stream.read()))
                part.stream.seek(0)  # the view reads it after us
        seen.append(files)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


def red_share(data: bytes, box=None) -> float:
    """How much of the picture (or of `box` in it, as fractions) is the markup's red."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        if box:
            w, h = image.size
            image = image.crop((box[0] * w, box[1] * h, box[2] * w, box[3] * h))
        red, green, blue = image.split()
        mask = ImageChops.multiply(
            ImageChops.multiply(
                red.point(lambda v: 255 * (v > 180)), green.point(lambda v: 255 * (v < 90))
            ),
            blue.point(lambda v: 255 * (v < 90)),
        )
        return mask.histogram()[255] / (image.width * image.height)


def on_photo(page, fx, fy):
    """Where on the screen a point of the photo in the editor is, given as fractions of it."""
    return page.evaluate(
        """([fx, fy]) => {
          const canvas = document.querySelector('dialog.markup canvas');
          const box = canvas.getBoundingClientRect();
          const scale = Math.min(box.width / canvas.width, box.height / canvas.height);
          const left = box.left + (box.width - canvas.width * scale) / 2;
          const top = box.top + (box.height - canvas.height * scale) / 2;
          return [left + fx * canvas.width * scale, top + fy * canvas.height * scale];
        }""",
        [fx, fy],
    )


def drag(page, start, end):
    page.mouse.move(*on_photo(page, *start))
    page.mouse.down()
    page.mouse.move(*on_photo(page, *end), steps=5)
    page.mouse.up()


def mark_the_problem(page, what):
    """In the open editor: a circle round the middle, an arrow at it from the lower left and a
    word at the top; then "完成"."""
    editor = page.get_by_role("dialog", name="圈出问题")
    expect(editor).to_be_visible()
    assert_fits_and_passes_axe(page, f"the markup editor on {what}")
    expect(editor.get_by_role("button", name="画圈")).to_have_attribute("aria-pressed", "true")
    drag(page, (0.35, 0.35), (0.65, 0.65))
    editor.get_by_role("button", name="箭头").click()
    drag(page, (0.1, 0.9), (0.3, 0.7))
    editor.get_by_role("button", name="文字").click()
    editor.get_by_label("要写的文字").fill("漏水")
    page.mouse.click(*on_photo(page, 0.5, 0.12))
    # A stray stroke, taken back.
    editor.get_by_role("button", name="画圈").click()
    drag(page, (0.8, 0.1), (0.95, 0.3))
    editor.get_by_role("button", name="撤销").click()
    editor.get_by_role("button", name="完成").click()
    expect(editor).to_have_count(0)


def assert_marked(marked: bytes, original: bytes):
    """The marked-up photo is red where the circle, arrow and word were drawn, and nowhere
    else; the original has no mark at all."""
    assert red_share(original) == 0, "the original is sent unmarked"
    assert red_share(marked, (0.33, 0.45, 0.37, 0.55)) > 0.02, "the circle's left edge"
    assert red_share(marked, (0.15, 0.75, 0.25, 0.85)) > 0.02, "the arrow"
    assert red_share(marked, (0.4, 0.05, 0.6, 0.2)) > 0.02, "the word"
    assert red_share(marked, (0.82, 0.05, 0.98, 0.35)) == 0, "the stroke taken back"
    with Image.open(io.BytesIO(marked)) as a, Image.open(io.BytesIO(original)) as b:
        assert a.size == b.size == (1600, 1200), "both made smaller on the phone"


@pytest.fixture
def failed_item(live_server):
    """A strip check of the canteen kitchen, started by the demo inspector."""
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    site = db.session.scalar(sa.select(Site).where(Site.code == "CANTEEN-KIT"))
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    db.session.commit()
    return inspection.id


def first_item_failed(browser, live_server, inspection_id):
    """The inspector's checklist on a phone, its first item just answered "不合格"."""
    context = phone(browser)
    page = context.new_page()
    log_in(page, live_server, "inspector")
    page.goto(f"{live_server}/inspections/{inspection_id}/run")
    item = page.locator("li.item").first
    with page.expect_response(re.compile(r"/answer$")):
        item.get_by_role("button", name="不合格", exact=True).click()
    return context, page, item


def test_a_checklist_photo_marked_up_offline_arrives_marked_with_its_original(
    browser, live_server, failed_item, received, tmp_path
):
    context, page, item = first_item_failed(browser, live_server, failed_item)

    context.set_offline(True)
    item.get_by_label("拍照或选择照片").set_input_files(plain_photo(tmp_path / "p.jpg"))
    expect(page.get_by_role("status").filter(has_text="1 条记录暂存本机")).to_be_visible()
    item.locator(".waiting-photo").get_by_role("button", name=re.compile("标注")).click()
    mark_the_problem(page, "the checklist")
    expect(item.locator(".waiting-photo img")).to_have_count(1)
    assert_fits_and_passes_axe(page, "the checklist with a marked-up photo waiting")

    context.set_offline(False)  # the "online" event sends what waits
    expect(item.get_by_role("img", name=re.compile("照片 1"))).to_be_visible()
    expect(item.locator(".waiting-photo")).to_have_count(0)

    uploads = [files for files in received if "photo" in files]
    assert len(uploads) == 1
    ((_, sent),) = uploads[0]["photo"]
    ((original_name, original),) = uploads[0]["original"]
    assert original_name == "original.jpg"
    assert_marked(sent, original)
    db.session.rollback()
    stored = db.session.scalar(
        sa.select(InspectionPhoto).where(InspectionPhoto.item.has(inspection_id=failed_item))
    )
    assert red_share(read_photo(stored.digest), (0.33, 0.45, 0.37, 0.55)) > 0.02, (
        "the server keeps the marked-up photo as the photo"
    )
    context.close()


def test_a_checklist_photo_already_sent_is_marked_up_and_takes_its_place(
    browser, live_server, failed_item, received, tmp_path
):
    """Online, a photo is sent as soon as it is taken; "标注" under it draws on the picture as
    the server received it, and the marked-up copy replaces it, the one sent kept beside it."""
    context, page, item = first_item_failed(browser, live_server, failed_item)
    item.get_by_label("拍照或选择照片").set_input_files(plain_photo(tmp_path / "p.jpg"))
    expect(item.get_by_role("img", name=re.compile("照片 1"))).to_be_visible()
    expect(item.locator(".waiting-photo")).to_have_count(0)
    db.session.rollback()
    sent = db.session.scalar(
        sa.select(InspectionPhoto).where(InspectionPhoto.item.has(inspection_id=failed_item))
    )
    as_sent = sent.digest

    context.set_offline(True)
    item.get_by_role("button", name=re.compile("^标注 .*照片 1")).click()
    expect(item.get_by_role("status").filter(has_text="无法取得这张照片")).to_be_visible()
    expect(page.get_by_role("dialog", name="圈出问题")).to_have_count(0)
    context.set_offline(False)

    item.get_by_role("button", name=re.compile("^标注 .*照片 1")).click()
    mark_the_problem(page, "a photo already sent")
    expect(item.locator(".waiting-photo")).to_have_count(0)
    expect(item.get_by_role("img", name=re.compile("照片 1"))).to_have_count(1)
    assert_fits_and_passes_axe(page, "the checklist after a sent photo was marked up")

    replacements = [files for files in received if "photo" in files][1:]
    assert len(replacements) == 1 and "original" not in replacements[0]
    ((_, marked),) = replacements[0]["photo"]
    assert_marked(marked, read_photo(as_sent))
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(InspectionPhoto, sent.id)
    assert stored.original_digest == as_sent, "the photo as sent is kept as the unmarked one"
    assert red_share(read_photo(stored.digest), (0.33, 0.45, 0.37, 0.55)) > 0.02
    assert red_share(read_photo(stored.stamped_digest), (0.33, 0.45, 0.37, 0.55)) > 0.02
    context.close()


def test_the_fix_form_sends_a_marked_up_photo_with_its_original_in_its_place(
    browser, live_server, received, tmp_path
):
    notice = issued_notice()
    acknowledge(notice, db.session.scalar(sa.select(User).where(User.username == "contractor")))
    db.session.commit()
    context = phone(browser)
    page = context.new_page()
    log_in(page, live_server, "contractor")
    page.goto(f"{live_server}/notices/{notice.id}")

    page.get_by_role("textbox", name="整改情况").fill("已更换漏水的水管")
    page.get_by_label("整改后照片").set_input_files(
        [plain_photo(tmp_path / "before.jpg"), plain_photo(tmp_path / "after.jpg")]
    )
    expect(page.get_by_role("button", name="标注照片 1")).to_be_visible()
    assert_fits_and_passes_axe(page, "the fix form with two photos chosen")
    # By keyboard: open photo 1, put a circle in its middle, then leave with Escape: cancelled,
    # photo 1 goes as it was.
    page.get_by_role("button", name="标注照片 1").press("Enter")
    editor = page.get_by_role("dialog", name="圈出问题")
    expect(editor.get_by_role("button", name="画圈")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(editor.get_by_role("img", name="正在标注的照片")).to_be_focused()
    page.keyboard.press("Enter")
    expect(editor.get_by_role("button", name="撤销")).to_be_enabled()
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    expect(page.get_by_role("button", name="标注照片 1")).to_be_focused()
    page.get_by_role("button", name="标注照片 2").click()
    mark_the_problem(page, "the fix form")
    expect(page.get_by_role("button", name=re.compile("照片 2 已标注"))).to_be_focused()
    page.get_by_role("button", name="报告整改").click()
    expect(page.get_by_role("status").filter(has_text="整改情况已报告")).to_be_visible()

    uploads = [files for files in received if "photos" in files]
    assert len(uploads) == 1
    (_, first), (_, second) = uploads[0]["photos"]
    (empty_name, empty), (_, original) = uploads[0]["original"]
    assert (empty_name, empty) == ("", b""), "photo 1 was not marked up: its original is empty"
    assert red_share(first) == 0
    assert_marked(second, original)
    db.session.rollback()
    stored = db.session.scalars(
        sa.select(FixPhoto).where(FixPhoto.item.has(notice_id=notice.id)).order_by(FixPhoto.id)
    ).all()
    assert len(stored) == 2
    assert [red_share(read_photo(p.digest)) > 0 for p in stored] == [False, True]
    context.close()
