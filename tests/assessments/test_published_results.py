"""The published results (公布考核结果): a page the compound's staff open from a secret link,
showing each published month's ranking and required measures, and nothing else."""

import subprocess
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.assessments import results_views
from app.assessments.bulletin_drafts import publish_draft, save_prose
from app.assessments.results_page import results_page, switch_results_page
from app.catalog.models import SiteKind
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, clock_at
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope, Tier
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from tests.helpers import jpeg, login

OCTOBER = datetime(2026, 10, 15, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
INSPECTOR_NAME = "巡检员柳青"
FINDING_NOTE = "后厨地面积水未清理"
PRIVATE_SUMMARY = "内部摘要：不对外公布"
PRIVATE_CRITICISM = "点名批评的正文"
DRAFT_MEASURES = "草稿：尚未定稿的整改要求"
SEPTEMBER_MEASURES, OCTOBER_MEASURES = "九月：加强日常巡查", "十月：后厨每日排水检查"


@pytest.fixture
def published(cast, make_check_point, make_site):
    """September and October published (October with a finding of the caterer's), November
    a draft with its own measures."""
    kitchen = make_site("后厨", SiteKind.COMPOUND)
    drain = make_check_point(line_code="CAT", category="厨房环境", title="地面排水", deduction="1")
    for company in (cast.own, cast.other):
        company.service_lines = [drain.category.service_line]
        company.sites = [kitchen]
    cast.inspector.display_name = INSPECTOR_NAME
    db.session.commit()
    with clock_at(OCTOBER):
        checked = start_inspection(
            Plan(Scope.BLOCK, kitchen, contractor=cast.own), cast.inspector, tier=Tier.DAILY
        )
        for item in checked.items:
            record_answer(item, Answer.FAIL, cast.inspector)
            record_note(item, FINDING_NOTE, cast.inspector)
            if item.needs_photo:
                attach_photo(item, jpeg(), cast.inspector)
        submit(checked, cast.inspector)
        db.session.commit()
    for month, measures in (("2026-09", SEPTEMBER_MEASURES), ("2026-10", OCTOBER_MEASURES)):
        prose = {"summary": PRIVATE_SUMMARY, "criticism": PRIVATE_CRITICISM, "measures": measures}
        save_prose(month, prose)
        publish_draft(month, cast.manager)
    save_prose("2026-11", {"measures": DRAFT_MEASURES})


def test_while_off_no_link_opens_the_page(client, cast, published):
    assert client.get("/results/anything").status_code == 404
    page = switch_results_page(True, cast.manager)
    token = page.token
    assert client.get(f"/results/{token}").status_code == 200
    switch_results_page(False, cast.manager)
    assert client.get(f"/results/{token}").status_code == 404
    login(client, cast.manager)
    assert "未开启" in client.get("/assessments/results-page").text


def test_on_it_shows_each_published_months_ranking_and_measures_newest_first(
    client, cast, published
):
    token = switch_results_page(True, cast.manager).token
    answer = client.get(f"/results/{token}")
    assert answer.status_code == 200
    assert answer.headers["X-Robots-Tag"] == "noindex, nofollow"
    page = answer.text
    october, september = page.index("2026年10月"), page.index("2026年9月")
    assert october < page.index(OCTOBER_MEASURES) < september < page.index(SEPTEMBER_MEASURES)
    ranking = page[october:september]
    assert ranking.index("安泰物业") < ranking.index("禾香餐饮"), "best first"
    assert ">100.0<" in ranking and ">99.0<" in ranking


def test_the_page_shows_nothing_private_and_no_draft(client, cast, published):
    page = client.get(f"/results/{switch_results_page(True, cast.manager).token}").text
    for private in (
        INSPECTOR_NAME,
        FINDING_NOTE,
        "地面排水",  # the check point: the findings' details
        PRIVATE_SUMMARY,
        PRIVATE_CRITICISM,
        "保证金",  # the money
        "满意率",
        "2026年11月",
        DRAFT_MEASURES,
        "/photos/",
        "<img",
    ):
        assert private not in page, private


def test_a_replaced_link_stops_working_and_the_new_one_works(client, cast, published):
    login(client, cast.manager)
    assert client.post("/assessments/results-page", data={"action": "on"}).status_code == 302
    old = results_page().token
    assert client.get(f"/results/{old}").status_code == 200
    assert client.post("/assessments/results-page", data={"action": "replace"}).status_code == 302
    db.session.expire_all()
    new = results_page().token
    assert new != old
    assert client.get(f"/results/{old}").status_code == 404
    assert client.get(f"/results/{new}").status_code == 200
    settings = client.get("/assessments/results-page").text
    assert f"/results/{new}" in settings and old not in settings and "<svg" in settings
    logged = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id)).all()
    assert logged[-2:] == [
        ("results_page_opened", cast.manager.id),
        ("results_link_replaced", cast.manager.id),
    ]
    assert all(old not in event.detail for event in db.session.scalars(sa.select(AuditEvent)))


def test_an_unknown_action_changes_nothing(client, cast):
    login(client, cast.manager)
    assert client.post("/assessments/results-page", data={"action": "open"}).status_code == 400
    assert results_page() is None


def test_one_network_cannot_try_links_or_flood_the_page(client, cast, published, monkeypatch):
    monkeypatch.setattr(results_views, "VIEWS_PER_ADDRESS", 3)
    token = switch_results_page(True, cast.manager).token
    assert client.get("/results/guess-1").status_code == 404
    assert client.get("/results/guess-2").status_code == 404
    assert client.get(f"/results/{token}").status_code == 200
    refused = client.get(f"/results/{token}")
    assert refused.status_code == 429, "the address is held back, the right link too"
    assert "访问过于频繁" in refused.text and "禾香餐饮" not in refused.text


def test_the_managers_print_the_links_qr_code(client, cast, tmp_path):
    login(client, cast.manager)
    assert client.get("/assessments/results-page.pdf").status_code == 404, "no link made yet"
    client.post("/assessments/results-page", data={"action": "on"})
    poster = client.get("/assessments/results-page.pdf")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    path = tmp_path / "poster.pdf"
    path.write_bytes(poster.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "后勤服务考核结果公布" in text
    assert results_page().token[:10] in text.replace("\n", "")
