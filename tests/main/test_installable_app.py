"""The installable app's server side: manifest, service worker, offline page, the outbox's
session check, and which pages the service worker may keep."""

import os
import re

import pytest
from itsdangerous import TimestampSigner

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.core.extensions import db
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Scope
from app.web.static_files import drop_stale_copies
from tests.helpers import login


def test_manifest_makes_an_installable_chinese_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "巡检 · 后勤服务监管" and manifest["short_name"] == "巡检"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["theme_color"] == "#0b4f8a"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()


def test_service_worker_is_served_from_the_root_and_changes_with_the_release(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.text
    assert f'"{app.static_url_path}/js/offline.js"' in script and '"/offline"' in script
    assert "shell-" in script


def test_offline_page_carries_no_one_s_name(client, make_user):
    user = make_user(role=Role.INSPECTOR, display_name="赵监督")
    login(client, user)
    page = client.get("/offline")
    assert page.status_code == 200
    assert "无网络" in page.text
    assert "赵监督" not in page.text
    assert 'id="sync"' in page.text


def test_session_token_tells_the_outbox_who_is_logged_in(client, make_user):
    assert client.get("/session/token").status_code == 401
    user = make_user(role=Role.INSPECTOR)
    login(client, user)
    response = client.get("/session/token")
    assert response.status_code == 200
    assert response.get_json()["user"] == user.id
    assert response.get_json()["csrf_token"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_public_form_sends_from_the_outbox_without_a_login(client, make_user):
    anonymous = client.get("/session/public").get_json()
    assert anonymous["user"] is None and anonymous["csrf_token"]
    user = make_user(role=Role.INSPECTOR)
    login(client, user)
    assert client.get("/session/public").get_json()["user"] == user.id


@pytest.fixture
def checklist(make_user, make_site, make_contractor, make_check_point):
    point = make_check_point(line_code="CAT", category="厨房环境", title="地面排水")
    kitchen = make_site("后厨", SiteKind.AREA)
    caterer = make_contractor(name="禾香餐饮")
    caterer.service_lines = [point.category.service_line]
    caterer.sites = [kitchen]
    inspector = make_user(Role.INSPECTOR)
    inspection = start_inspection(
        Plan(Scope.STRIP, kitchen, service_line=point.category.service_line), inspector
    )
    db.session.commit()
    return inspection, inspector


def test_the_today_page_and_a_started_checklist_may_be_kept_offline(client, make_user, checklist):
    inspection, inspector = checklist
    login(client, inspector)
    home = client.get("/")
    assert home.headers["X-Offline-Page"] == "1"
    assert f"/inspections/{inspection.id}/run" in home.text  # named for the worker to keep
    run = client.get(f"/inspections/{inspection.id}/run")
    assert run.headers["X-Offline-Page"] == "1"
    assert 'data-outbox="answer"' in run.text


def test_two_requests_for_the_same_page_each_get_a_response_of_their_own(
    client, make_user, checklist, monkeypatch
):
    """In the same second a page renders to the same HTML (its CSRF token is signed to the
    second): each request still gets its own response, encoded as it asked and named by its own
    request ID."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: 1_800_000_000)
    inspection, inspector = checklist
    login(client, inspector)
    for path in ("/", f"/inspections/{inspection.id}/run"):
        compressed = client.get(path, headers={"Accept-Encoding": "br"})
        plain = client.get(path)
        assert compressed.headers["Content-Encoding"] == "br"
        assert "Content-Encoding" not in plain.headers
        assert plain.text.lstrip().lower().startswith("<!doctype html>")
        assert plain.headers["X-Request-ID"] != compressed.headers["X-Request-ID"]


def test_a_checklist_the_viewer_cannot_record_is_not_kept(client, make_user, checklist):
    inspection, _ = checklist
    login(client, make_user(role=Role.MANAGER))
    run = client.get(f"/inspections/{inspection.id}/run")
    assert run.status_code == 200
    assert "X-Offline-Page" not in run.headers
    assert "X-Offline-Page" not in client.get("/notices").headers


def test_an_offline_tap_that_arrives_late_loses_to_a_later_tap_but_stays_in_history(
    client, make_user, checklist
):
    """Joint inspection: B answered offline ten minutes ago; A answered online since. B's
    answer arrives after A's: A's later tap stands, B's is kept and shown in the history."""
    import time

    inspection, inspector_a = checklist
    inspector_b = make_user(Role.INSPECTOR, display_name="钱监督")
    inspection.inspectors.append(inspector_b)
    db.session.commit()
    item = inspection.items[0]
    url = f"/inspections/{inspection.id}/items/{item.id}/answer"
    now_ms = int(time.time() * 1000)

    login(client, inspector_a)
    client.post(url, data={"answer": "pass", "answered_at_ms": now_ms - 60_000})
    client.post("/logout")
    login(client, inspector_b)
    card = client.post(
        url,
        data={
            "answer": "fail",
            "answered_at_ms": now_ms - 600_000,
            "client_uuid": "3c1d0a7e-9f2b-4e61-8d5a-7b6c5d4e3f21",
        },
        headers={"HX-Request": "true"},
    )
    assert card.status_code == 200
    db.session.refresh(item)
    assert item.answer.value == "pass" and item.answered_by == inspector_a
    assert [r.answer.value for r in item.history] == ["fail", "pass"]
    assert "2 次作答，以最后一次为准" in card.text
    assert "钱监督" in card.text


def test_static_files_are_named_by_content_kept_a_year_and_sent_compressed(app, client):
    assert re.fullmatch(r"/static/[0-9a-f]{16}", app.static_url_path)
    assert f"{app.static_url_path}/css/app.css" in client.get("/login").text
    for encoding in ("br", "gzip"):
        response = client.get(
            f"{app.static_url_path}/js/vendor/htmx.min.js", headers={"Accept-Encoding": encoding}
        )
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding, "make static compresses"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
        response.close()
    page = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers.get("Content-Encoding") == "br", "pages go compressed too"


def test_a_compressed_copy_older_than_its_file_is_not_sent(tmp_path):
    script = tmp_path / "app.js"
    script.write_text("old")
    fresh, stale = tmp_path / "app.js.br", tmp_path / "app.js.gz"
    fresh.write_bytes(b"br")
    stale.write_bytes(b"gz")
    os.utime(stale, (1, 1))  # made before the file was last edited
    drop_stale_copies(tmp_path)
    assert fresh.exists() and not stale.exists() and script.exists()
