"""The flows that matter, on a phone: logging in, finding what waits, and pages that fit."""

import re

import pytest
from playwright.sync_api import expect

from app.core.timeutil import month_of, utcnow
from tests.browser.helpers import assert_fits_and_passes_axe, log_in


def test_inspector_logs_in_on_a_phone_and_sees_what_waits(page, live_server):
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page).to_have_title("登录 · 巡检")

    page.get_by_label("用户名").fill("inspector")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")

    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("已过期证书"))).to_be_visible()
    expect(page.get_by_text("何磊")).to_be_visible()


def test_a_supervisors_long_navigation_folds_under_more_on_a_phone(page, live_server):
    """Thirteen entries would take three rows of a 360 px phone: four stay, the rest open from
    "More", whose badge counts what waits behind it, over the page and never wider than it."""
    log_in(page, live_server, "manager")
    nav = page.get_by_role("navigation", name="主导航")
    more = nav.locator("summary", has_text="更多")
    assert nav.bounding_box()["height"] < 110, "at most two rows"
    expect(nav.get_by_role("link", name=re.compile("证书"))).to_be_hidden()
    expect(more.locator(".badge")).to_have_text(re.compile(r"^[1-9]\d*$"))  # expired certificates

    more.click()
    expect(nav.get_by_role("link", name=re.compile("证书"))).to_be_visible()
    assert_fits_and_passes_axe(page, "home page with More open")
    nav.get_by_role("link", name=re.compile("证书")).click()
    expect(page.get_by_role("heading", name="人员证书")).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("证书"))).to_be_hidden()
    expect(more).to_have_class("current")


def test_certificate_filter_swaps_the_list_in_place(page, live_server):
    log_in(page, live_server, "manager")
    nav = page.get_by_role("navigation", name="主导航")
    nav.locator("summary", has_text="更多").click()
    nav.get_by_role("link", name=re.compile("证书")).click()
    expect(page.get_by_role("heading", name="人员证书")).to_be_visible()
    expect(page.get_by_text("韩冬")).to_have_count(0)

    with page.expect_response(re.compile(r"/certificates\?show=all$")) as answer:
        page.get_by_role("link", name="全部").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    assert "<html" not in answer.value.text(), "htmx should get the list fragment only"
    expect(page).to_have_url(re.compile(r"/certificates\?show=all$"))
    expect(page.get_by_text("韩冬")).to_be_visible()
    expect(page.get_by_role("link", name="全部")).to_have_attribute("aria-current", "page")


def test_contractor_sees_only_its_own_company(page, live_server):
    log_in(page, live_server, "contractor2")
    page.get_by_role("link", name=re.compile("本单位")).click()
    expect(page.get_by_role("heading", name="金陵鑫盾保安服务有限公司")).to_be_visible()
    expect(page.get_by_text("刘海")).to_have_count(0)
    response = page.goto(f"{live_server}/contractors")
    assert response.status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/",
        "/catalog",
        "/catalog/lines/1",
        "/contractors",
        "/contractors/1",
        "/contractors/1/edit",
        "/certificates",
        "/sites",
        "/admin/users",
        "/catalog/import",
        "/inspections",
        "/inspections/new",
        "/inspections/new?line=2",
        "/inspections/new?line=2&site=2",
        "/notices",
        "/notices/rules",
        "/assessments",
        "/assessments/policy",
        "/bulletins",
        "/bulletins/" + month_of(utcnow()),
        "/plans",
        "/plans/1",
        "/plans/1/edit",
        "/plans/1/stops/2",
        "/plans/5",
        "/plans/missed",
        "/complaints",
        "/complaints/2",
        "/complaints/new",
        "/feedback/complaint",
        "/verify",
        "/verify?code=ABCD-EFGH-JKMN",
        "/surveys",
        "/surveys/1",
        "/surveys/new",
        "/self-checks",
        "/external/new",
        "/nowhere",
    ],
)
def test_pages_fit_a_360px_phone_and_pass_axe(browser, live_server, path):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
    )
    page = context.new_page()
    public = path in ("/login", "/feedback/complaint") or path.startswith("/verify")
    if not public:  # the public pages need no login
        log_in(page, live_server, "admin")
    page.goto(f"{live_server}{path}")
    assert page.evaluate("() => document.documentElement.lang") == "zh-Hans"
    assert page.title().endswith("· 巡检")
    assert_fits_and_passes_axe(page, path)
    context.close()


def test_scanning_a_place_on_the_patrol_opens_its_checklist(browser, live_server):
    import sqlalchemy as sa

    from app.catalog.models import Site
    from app.core.extensions import db

    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    log_in(page, live_server, "inspector")
    expect(page.get_by_role("heading", name="今日计划")).to_be_visible()
    page.goto(f"{live_server}/scan/{lobby.scan_token}")  # what the camera opens
    assert_fits_and_passes_axe(page, "scan page")
    page.get_by_role("button", name="开始巡检").click()
    expect(page.get_by_role("status").filter(has_text="已答 0")).to_be_visible()
    assert "/run" in page.url
    context.close()


def test_the_catalogue_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    log_in(page, live_server, "manager")

    page.goto(f"{live_server}/catalog")
    page.get_by_label("搜索检查点").fill("留样")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/catalog\?q="))
    expect(page.get_by_role("heading", name=re.compile("相关的检查点"))).to_be_visible()
    page.get_by_role("link", name=re.compile("编辑 CAT-")).first.click()

    page.get_by_label("扣分").fill("6")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").first).to_contain_text("已保存")
    expect(page.get_by_text("扣6分").first).to_be_visible()

    nav = page.get_by_role("navigation", name="主导航")
    nav.locator("summary", has_text="更多").click()  # <details>: opens without JavaScript
    nav.get_by_role("link", name=re.compile("证书")).click()
    page.get_by_role("link", name="全部").click()
    expect(page).to_have_url(re.compile(r"/certificates\?show=all$"))
    expect(page.get_by_text("韩冬")).to_be_visible()
    context.close()


def test_checklist_and_report_fit_a_360px_phone_and_pass_axe(browser, live_server):
    import io

    import sqlalchemy as sa
    from PIL import Image

    from app.auth.models import User
    from app.catalog.models import ServiceLine, Site
    from app.core.extensions import db
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Answer, Scope
    from app.inspections.recording import attach_photo, record_answer, record_note, submit

    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    site = db.session.scalar(sa.select(Site).where(Site.code == "CANTEEN-KIT"))
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    first = inspection.items[0]
    record_answer(first, Answer.FAIL, inspector)
    record_note(first, "留样柜未上锁，留样标签缺失日期和餐次，需立即整改并补记台账", inspector)
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 200)).save(buffer, "JPEG")
    attach_photo(first, buffer.getvalue(), inspector)
    db.session.commit()

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    log_in(page, live_server, "inspector")
    for step in ("run", "report"):
        if step == "report":
            for item in inspection.items[1:]:
                record_answer(item, Answer.PASS, inspector)
            submit(inspection, inspector)
            db.session.commit()
        page.goto(f"{live_server}/inspections/{inspection.id}" + ("/run" if step == "run" else ""))
        assert_fits_and_passes_axe(page, step)
    context.close()


def test_a_recipient_answers_the_survey_on_a_phone(browser, live_server):
    import sqlalchemy as sa

    from app.core.extensions import db
    from app.feedback.models import Survey, SurveyResponse

    survey = db.session.scalar(sa.select(Survey))
    before = db.session.scalar(sa.select(sa.func.count(SurveyResponse.id)))
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{live_server}/s/{survey.slug}")  # what the printed QR code opens
    assert_fits_and_passes_axe(page, "survey")
    groups = page.locator("fieldset")
    groups.nth(0).get_by_label("满意", exact=True).check()
    groups.nth(1).get_by_label("基本满意").check()
    page.wait_for_timeout(3200)  # people take longer than the form's minimum
    page.get_by_role("button", name="提交问卷").click()
    expect(page.get_by_role("heading", name="谢谢")).to_be_visible()
    page.goto(f"{live_server}/s/{survey.slug}")
    expect(page.get_by_text("此浏览器已经填写过本问卷")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == before + 1
    context.close()


def test_a_recipient_files_a_complaint_and_follows_it_on_a_phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="投诉").click()
    page.get_by_label("问题概述").fill("大堂地面湿滑无警示")
    page.get_by_label("具体情况").fill("今早拖地后没有放置小心地滑警示牌，有人差点滑倒。")
    page.get_by_label("地点（楼栋、楼层、房间）").fill("1号办公楼大堂")
    page.wait_for_timeout(3200)  # a person takes longer than the form's minimum to fill it in
    page.get_by_role("button", name="提交投诉").click()
    expect(page.get_by_role("heading", name=re.compile("已收到"))).to_be_visible()
    assert_fits_and_passes_axe(page, "complaint received")
    page.locator(".private-link a").click()
    expect(page.get_by_text("大堂地面湿滑无警示")).to_be_visible()
    expect(page.get_by_text("已收到").first).to_be_visible()
    assert_fits_and_passes_axe(page, "complaint status")
    context.close()


def test_an_external_checker_fills_the_checklist_through_a_guest_link(browser, live_server):
    import sqlalchemy as sa

    from app.auth.models import User
    from app.catalog.models import ServiceLine, Site
    from app.core.extensions import db
    from app.inspections.checklist import Plan
    from app.inspections.external import issue_guest_pass, start_external
    from app.inspections.models import ExternalBody, Scope

    manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
    kitchen = db.session.scalar(sa.select(Site).where(Site.code == "CANTEEN-KIT"))
    catering = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    inspection = start_external(
        Plan(Scope.STRIP, kitchen, service_line=catering), manager, ExternalBody.HEALTH, "市卫健委"
    )
    _, token = issue_guest_pass(inspection, manager, "市卫健委 张科长", 24)
    db.session.commit()

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{live_server}/guest/{token}")  # no account, no login
    assert_fits_and_passes_axe(page, "guest checklist")
    item = page.locator("li.item").first
    with page.expect_response(re.compile(r"/answer$")) as confirmed:
        item.get_by_role("button", name="合格", exact=True).click()
    assert confirmed.value.status == 200
    expect(page.locator("li.item").first).not_to_have_class(re.compile(r"\bpending\b"))
    db.session.refresh(inspection.items[0])
    assert inspection.items[0].answered_by.display_name == "市卫健委 张科长"
    context.close()
