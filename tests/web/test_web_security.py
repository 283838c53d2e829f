"""Web security: response headers and cookies, no inline script in any template, user text
escaped in pages and PDFs, uploads judged by their content, and a PDF renderer that cannot
fetch anything but our static files and the photos it is given."""

import io
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.core.extensions import db
from app.core.files import Kind, read_stored
from app.core.pdf import ConfinedFetcher
from app.core.photos import store_photo
from app.core.refusals import Refused
from app.feedback.models import Complaint
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import record_answer, record_note, submit
from app.notices.lifecycle import draft_notices
from tests.helpers import PASSWORD, jpeg, login

TEMPLATES = Path(__file__).parents[2] / "app" / "templates"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_pages_carry_a_strict_content_security_policy_and_safe_headers(client):
    response = client.get("/login")
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer", "secret links stay secret"


def test_no_template_has_inline_script_handlers_or_styles():
    """What the policy would refuse in the browser is caught here for every template."""
    for template in TEMPLATES.rglob("*.html"):
        if template.parent.name == "pdf":
            continue  # printed by WeasyPrint, never shown in a browser
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert not re.search(r"\sstyle\s*=", text), template
        assert "javascript:" not in text, template


class TestSecureCookies:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "SESSION_COOKIE_SECURE": True}

    def test_the_session_cookie_is_secure_httponly_and_same_site(self, app, client, make_user):
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        response = client.post(
            "/login", data={"username": make_user().username, "password": PASSWORD}
        )
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_user_text_is_shown_as_text_in_pages_and_pdfs(
    client, make_user, make_site, make_contractor, make_check_point, tmp_path
):
    """Names, notes and complaints that look like markup are printed, never obeyed."""
    point = make_check_point(line_code="CAT", category="厨房环境", title="地面排水")
    kitchen = make_site("后厨" + HOSTILE, SiteKind.AREA)
    caterer = make_contractor(name="禾香餐饮" + HOSTILE)
    caterer.service_lines = [point.category.service_line]
    caterer.sites = [kitchen]
    inspector = make_user(Role.INSPECTOR)
    inspection = start_inspection(
        Plan(Scope.STRIP, kitchen, service_line=point.category.service_line), inspector
    )
    item = inspection.items[0]
    record_answer(item, Answer.FAIL, inspector)
    record_note(item, "地面积水" + HOSTILE, inspector)
    submit(inspection, inspector, "总结" + HOSTILE)
    (notice,) = draft_notices(inspection, inspector)
    db.session.commit()
    login(client, make_user(Role.MANAGER))
    complaint = client.post(
        "/complaints/new",
        data={"channel": "hotline", "subject": "投诉" + HOSTILE, "description": HOSTILE},
    )
    assert complaint.status_code == 200 and "<script>alert" not in complaint.text
    logged = db.session.scalar(sa.select(Complaint).order_by(Complaint.id.desc()))

    pages = [
        f"/inspections/{inspection.id}",
        f"/notices/{notice.id}",
        f"/complaints/{logged.id}",
        "/complaints",
        f"/contractors/{caterer.id}",
    ]
    for url in pages:
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert" in page, url
    for url in (f"/inspections/{inspection.id}.pdf", f"/notices/{notice.id}.pdf"):
        printed = pdf_text(client.get(url).data, tmp_path)
        assert '<script>alert("x")</script>' in printed, url


def test_a_photo_that_is_also_a_script_is_stored_as_a_clean_photo(app):
    """A JPEG carrying HTML in a comment and after its end is decoded and re-encoded: what is
    kept is only the picture."""
    payload = b"<html><script>alert(1)</script></html>"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "JPEG", comment=payload)
    polyglot = buffer.getvalue() + payload
    stored = store_photo(polyglot)
    for data in (read_stored(Kind.PHOTO, stored.digest), read_stored(Kind.THUMB, stored.digest)):
        assert payload not in data and b"<script" not in data


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><body><script>alert(1)</script></body></html>",
        b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 10,  # a JPEG header and no picture
    ],
)
def test_scripts_dressed_as_photos_are_refused(app, data):
    with pytest.raises(Refused):
        store_photo(data)


def test_an_uploaded_svg_is_refused_by_the_route(client, make_user, checklist_for_upload):
    inspection, inspector = checklist_for_upload
    login(client, inspector)
    item = inspection.items[0]
    response = client.post(
        f"/inspections/{inspection.id}/items/{item.id}/photos",
        data={"photo": (io.BytesIO(b"<svg onload='alert(1)'/>"), "photo.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "不是照片" in response.text
    assert item.photos == []
    ok = client.post(
        f"/inspections/{inspection.id}/items/{item.id}/photos",
        data={"photo": (io.BytesIO(jpeg()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert ok.status_code in (200, 201, 302)


@pytest.fixture
def checklist_for_upload(make_user, make_site, make_check_point):
    point = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    lobby = make_site("大堂", SiteKind.AREA)
    inspector = make_user(Role.INSPECTOR)
    inspection = start_inspection(
        Plan(Scope.STRIP, lobby, service_line=point.category.service_line), inspector
    )
    db.session.commit()
    return inspection, inspector


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/tracker.png",
        "http://localhost/static/../config.py",
        "http://localhost/static/%2e%2e/config.py",
        "http://localhost/inspections/photos/1",
        "http://169.254.169.254/latest/meta-data/",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_the_pdf_renderer_fetches_nothing_but_our_static_files(app, url):
    with app.test_request_context(base_url="http://localhost/"):
        fetcher = ConfinedFetcher(photo_for_path=None)
        assert fetcher.fetch(f"http://localhost{app.static_url_path}/css/print.css").read()
        with pytest.raises(ValueError):
            fetcher.fetch(url)
