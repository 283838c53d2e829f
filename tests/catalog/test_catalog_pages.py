import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from app.auth.models import Role
from app.catalog.models import Area, CheckPoint, Contractor, Frequency, Site, SiteKind
from app.catalog.rules import evidence_policy
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import local_today
from tests.helpers import login, xlsx


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_pages_speak_chinese_by_default_and_english_on_request(client, make_user):
    login(client, make_user(Role.MANAGER))
    page = client.get("/catalog")
    assert '<html lang="zh-Hans">' in page.text and "检查标准库" in page.text
    client.post("/language", data={"lang": "en"}, headers={"Referer": "http://localhost/catalog"})
    page = client.get("/catalog")
    assert '<html lang="en">' in page.text and "Standards library" in page.text


def test_every_page_has_a_title_and_a_main_landmark(client, make_user):
    login(client, make_user(Role.ADMIN))
    for url in ("/", "/catalog", "/contractors", "/certificates", "/sites", "/admin/users"):
        text = client.get(url).text
        assert "<title>" in text and " · 巡检</title>" in text, url
        assert '<main id="main">' in text, url


def test_manager_edits_a_check_point_and_the_change_is_audited(client, make_user, make_check_point):
    manager = make_user(Role.MANAGER)
    point = make_check_point(deduction="1")
    login(client, manager)
    response = client.post(
        f"/catalog/points/{point.id}/edit",
        data={
            "category_id": point.category_id,
            "code": point.code,
            "title": "大堂地面",
            "standard": "无污渍、无水迹",
            "good_practice": "可见倒影",
            "severity": "major",
            "deduction": "2.5",
            "position": 1,
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(point)
    assert (point.title, point.severity.value, point.deduction) == (
        "大堂地面",
        "major",
        Decimal("2.5"),
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "check_point_saved"))
    assert event.actor_id == manager.id and event.from_state == "general 1.0"
    assert event.to_state == "major 2.5"


def test_editors_set_a_points_frequency_and_a_lines_area_and_the_pages_show_them(
    client, make_user, make_check_point
):
    point = make_check_point()
    line = point.category.service_line
    login(client, make_user(Role.MANAGER))
    edit_form = client.get(f"/catalog/points/{point.id}/edit").text
    assert "频次" in edit_form and "每半月" in edit_form

    response = client.post(
        f"/catalog/points/{point.id}/edit",
        data={
            "category_id": point.category_id,
            "code": point.code,
            "title": point.title,
            "standard": point.standard,
            "severity": "general",
            "deduction": "1",
            "frequency": "weekly",
            "position": 0,
            "active": "y",
        },
    )
    assert response.status_code == 302
    line_data = {"code": line.code, "name": line.name, "position": 0, "active": "y"}
    area = client.post(f"/catalog/lines/{line.id}/edit", data={**line_data, "area": "greening"})
    assert area.status_code == 302
    db.session.refresh(point)
    db.session.refresh(line)
    assert (point.frequency, line.area) == (Frequency.WEEKLY, Area.GREENING)
    assert "每周" in client.get(f"/catalog/lines/{line.id}").text
    assert "绿化" in client.get("/catalog").text

    none = client.post(f"/catalog/lines/{line.id}/edit", data={**line_data, "area": ""})
    assert none.status_code == 302
    db.session.refresh(line)
    assert line.area is None, "a bureau's own line may have no area"
    bad = client.post(f"/catalog/lines/{line.id}/edit", data={**line_data, "area": "weather"})
    assert bad.status_code == 422


def test_check_point_form_rejects_bad_deduction(client, make_user, make_check_point):
    point = make_check_point()
    login(client, make_user(Role.MANAGER))
    response = client.post(
        f"/catalog/points/{point.id}/edit",
        data={
            "category_id": point.category_id,
            "code": point.code,
            "title": "t",
            "standard": "s",
            "severity": "general",
            "deduction": "150",
            "position": 0,
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text


def test_contractor_form_checks_the_licence_and_the_period(client, make_user):
    login(client, make_user(Role.MANAGER))
    today = local_today()
    data = {
        "name": "新承包单位",
        "short_name": "新单位",
        "licence_no": "12345",
        "contract_start": today.isoformat(),
        "contract_end": (today - timedelta(days=1)).isoformat(),
        "contract_value": "100000",
        "deposit_share": "5",
        "satisfaction_target": "90",
    }
    response = client.post("/contractors/new", data=data)
    assert response.status_code == 422
    assert "营业执照上的18位代码" in response.text
    assert "合同结束日期不能早于开始日期" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Contractor.id))) == 0

    data.update(contract_end=(today + timedelta(days=365)).isoformat())
    wrong_digit = client.post("/contractors/new", data={**data, "licence_no": "91320100MA1N2K3L4P"})
    assert wrong_digit.status_code == 422, "the pattern holds, the check digit does not"
    assert "统一社会信用代码格式不正确" in wrong_digit.text
    data.update(licence_no="91320100ma1n2k3l42")
    response = client.post("/contractors/new", data=data)
    assert response.status_code == 302
    company = db.session.scalar(sa.select(Contractor))
    assert company.licence_no == "91320100MA1N2K3L42"


def test_contractor_lines_and_sites_are_saved(client, make_user, make_check_point, make_site):
    line = make_check_point(line_code="SEC").category.service_line
    site = make_site("大院", SiteKind.COMPOUND)
    login(client, make_user(Role.MANAGER))
    today = local_today()
    response = client.post(
        "/contractors/new",
        data={
            "name": "保安公司",
            "short_name": "保安",
            "licence_no": "91320100MA1N2K3L42",
            "contract_start": today.isoformat(),
            "contract_end": (today + timedelta(days=9)).isoformat(),
            "contract_value": "1",
            "deposit_share": "5",
            "satisfaction_target": "95",
            "service_lines": [line.id],
            "sites": [site.id],
            "active": "y",
        },
    )
    assert response.status_code == 302
    company = db.session.scalar(sa.select(Contractor))
    assert company.service_lines == [line] and company.sites == [site]


def test_site_cannot_be_moved_inside_itself(client, make_user, make_site):
    compound = make_site("大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    floor = make_site("一层", SiteKind.FLOOR, building)
    login(client, make_user(Role.MANAGER))
    response = client.post(
        f"/sites/{building.id}/edit",
        data={
            "parent_id": floor.id,
            "kind": "building",
            "name": "1号楼",
            "code": building.code,
            "position": 0,
        },
    )
    assert response.status_code == 422
    db.session.refresh(building)
    assert building.parent_id == compound.id


def test_manager_adds_a_floor_to_a_building(client, make_user, make_site):
    compound = make_site("大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    login(client, make_user(Role.MANAGER))
    form = client.get(f"/sites/new?parent={building.id}")
    assert '<option selected value="floor">' in form.text
    response = client.post(
        "/sites/new",
        data={
            "parent_id": building.id,
            "kind": "floor",
            "name": "二层",
            "code": "B1-F2",
            "position": 2,
        },
    )
    assert response.status_code == 302
    floor = db.session.scalar(sa.select(Site).where(Site.code == "B1-F2"))
    assert floor.parent_id == building.id


def test_expired_certificates_are_highlighted_on_their_pages(client, make_user, make_certificate):
    expired = make_certificate(expires_in_days=-2)
    valid = make_certificate(expires_in_days=200)
    login(client, make_user(Role.INSPECTOR))
    listing = client.get("/certificates").text
    assert expired.staff_member.name in listing and valid.staff_member.name not in listing
    assert "card-bad" in listing
    every = client.get("/certificates?show=all").text
    assert valid.staff_member.name in every
    company = client.get(f"/contractors/{expired.staff_member.contractor_id}").text
    assert "state-bad" in company and "已过期" in company


def test_htmx_filter_gets_the_fragment_and_plain_requests_the_page(
    client, make_user, make_certificate
):
    make_certificate(expires_in_days=-2)
    login(client, make_user(Role.INSPECTOR))
    fragment = client.get("/certificates?show=all", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="certificate-list">')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    page = client.get("/certificates?show=all")
    assert "<html" in page.text and "HX-Request" in page.headers["Vary"]


def test_standards_search_finds_by_words_and_code(client, make_user, make_check_point):
    point = make_check_point(title="食品留样", standard="每餐留样125克")
    make_check_point(title="配电箱周边")
    login(client, make_user(Role.CONTRACTOR))
    page = client.get("/catalog?q=留样").text
    assert "食品留样" in page and "配电箱周边" not in page
    assert point.code in client.get(f"/catalog?q={point.code}").text


def test_home_shows_each_role_its_queue(client, make_user, make_contractor, make_certificate):
    today = local_today()
    old = make_contractor(
        contract_start=today - timedelta(days=4 * 365), contract_end=today + timedelta(days=30)
    )
    cert = make_certificate(contractor=old, expires_in_days=-1)
    login(client, make_user(Role.MANAGER))
    manager_home = client.get("/").text
    assert (
        old.name in manager_home and "履行满三年" in manager_home and "90天内到期" in manager_home
    )
    assert cert.staff_member.name in manager_home
    client.post("/logout")
    login(client, make_user(Role.INSPECTOR))
    inspector_home = client.get("/").text
    assert cert.staff_member.name in inspector_home and "履行满三年" not in inspector_home


IMPORT_ROW = ("CLN", "保洁", "大堂", "C-1", "地面", "无污渍", "", "一般", 1, "是")


def upload_standards(client, rows):
    return client.post(
        "/catalog/import",
        data={"file": (xlsx(rows), "standards.xlsx")},
        content_type="multipart/form-data",
    )


def test_import_page_reports_bad_rows_and_imports_nothing(client, make_user):
    login(client, make_user(Role.MANAGER))
    response = upload_standards(client, [IMPORT_ROW[:7] + ("特别", 1, "是")])
    assert response.status_code == 422
    assert "未导入任何内容" in response.text and "严重程度" in response.text
    assert db.session.scalar(sa.select(sa.func.count(CheckPoint.id))) == 0


def test_import_page_accepts_a_good_file_and_export_downloads_it(client, make_user):
    login(client, make_user(Role.MANAGER))
    response = upload_standards(client, [IMPORT_ROW])
    assert response.status_code == 302
    exported = client.get("/catalog/export.xlsx")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True))
    assert rows[1][3] == "C-1"


def test_import_refuses_a_file_that_is_not_xlsx(client, make_user):
    login(client, make_user(Role.MANAGER))
    response = client.post(
        "/catalog/import",
        data={"file": (io.BytesIO(b"a,b\n"), "standards.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "只能导入 .xlsx 表格" in response.text


def test_server_error_page_shows_no_internals(app, client, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/xunjian")

    login(client, make_user())
    response = client.get("/boom")
    assert response.status_code == 500
    assert "系统出错了" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_method_not_allowed_is_answered_in_the_layout(client, make_user):
    login(client, make_user())
    response = client.delete("/catalog")
    assert response.status_code == 405 and "<nav" in response.text


def test_a_place_gets_its_location_typed_or_from_the_phone(client, make_user, make_site):
    compound = make_site("大院", SiteKind.COMPOUND)
    login(client, make_user(Role.MANAGER))
    page = client.get(f"/sites/{compound.id}/edit").text
    assert "data-use-location" in page and "js/location.js" in page
    fields = {"parent_id": 0, "kind": "compound", "name": "大院", "code": compound.code}
    half = client.post(f"/sites/{compound.id}/edit", data={**fields, "latitude": "32.06"})
    assert half.status_code == 422 and "纬度和经度须同时填写或同时留空" in half.text
    saved = client.post(
        f"/sites/{compound.id}/edit", data={**fields, "latitude": "32.06", "longitude": "118.78"}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert compound.location == (32.06, 118.78)


def test_managers_set_the_evidence_rules_and_the_change_is_audited(client, make_user):
    login(client, make_user(Role.MANAGER))
    assert client.get("/catalog/evidence-rules").status_code == 200
    refused = client.post("/catalog/evidence-rules", data={"presence_radius_m": "0"})
    assert refused.status_code == 422
    response = client.post(
        "/catalog/evidence-rules",
        data={"presence_radius_m": "300", "exif_gap_hours": "24", "not_taken_now_minutes": "10"},
    )
    assert response.status_code == 302
    rules = evidence_policy()
    assert (rules.presence_radius_m, rules.camera_required) == (300, False)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "evidence_rules_saved")
    )
    assert event.detail == "presence_radius_m: 200 → 300; camera_required: 1 → 0"
