"""Repeat findings (重复出现): the same check point failing again at the same place (or, without
a place, for the same contractor) within the managers' window, shown on the finding's report,
on the notice and in its PDF."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.assessments.monthly import assess_month
from app.catalog.models import SiteKind
from app.catalog.rules import assessment_policy
from app.core.extensions import db
from app.core.timeutil import day_start, month_of, month_start, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Finding, Scope
from app.inspections.recording import record_answer, record_note, reopen, submit
from app.inspections.repeats import repeats_by_contractor, repeats_of
from app.notices.deadlines import ensure_default_rules
from app.notices.lifecycle import draft_notices, issue
from tests.helpers import login


@pytest.fixture
def toilets(cast, make_check_point, make_site):
    """Two toilets the cleaner (`cast.own`) keeps, one check point for both."""
    ensure_default_rules()
    point = make_check_point(line_code="CLN", category="卫生间", title="卫生间无异味")
    east, west = make_site("东侧卫生间", SiteKind.AREA), make_site("西侧卫生间", SiteKind.AREA)
    cast.own.service_lines, cast.own.sites = [point.category.service_line], [east, west]
    db.session.commit()
    return east, west


def failed_at(cast, site, when):
    """A submitted strip check of `site` whose one point failed at `when`; its finding."""
    line = cast.own.service_lines[0]
    checked = start_inspection(Plan(Scope.STRIP, site, service_line=line), cast.inspector)
    item = checked.items[0]
    record_answer(item, Answer.FAIL, cast.inspector, answered_at=when)
    record_note(item, "有异味", cast.inspector)
    (finding,) = submit(checked, cast.inspector)
    db.session.commit()
    return finding


def test_the_same_point_at_the_same_place_within_the_window_repeats(cast, toilets):
    east, west = toilets
    now = utcnow()
    first = failed_at(cast, east, now - timedelta(days=40))
    second = failed_at(cast, east, now - timedelta(days=20))
    elsewhere = failed_at(cast, west, now - timedelta(days=10))
    third = failed_at(cast, east, now - timedelta(days=1))

    found = repeats_of([first, second, elsewhere, third])
    assert first.id not in found and elsewhere.id not in found, "another place is not a repeat"
    assert found[second.id].occurrence == 2 and [e.id for e in found[second.id].earlier] == [
        first.id
    ]
    assert found[third.id].occurrence == 2, "the first is 39 days before: outside the window"
    assert [e.id for e in found[third.id].earlier] == [second.id]


def test_exactly_the_window_counts_and_a_minute_more_does_not(cast, toilets):
    east, _west = toilets
    now = utcnow()
    old = failed_at(cast, east, now - timedelta(days=60, minutes=1))
    edge = failed_at(cast, east, now - timedelta(days=30))
    latest = failed_at(cast, east, now)
    found = repeats_of([latest, edge])
    assert [e.id for e in found[latest.id].earlier] == [edge.id], "exactly 30 days: counted"
    assert edge.id not in found, "30 days and a minute: not counted"
    ids = sa.select(Finding.id).where(Finding.id.in_([old.id, edge.id, latest.id]))
    since = now - timedelta(days=90)
    assert repeats_by_contractor(ids, since, now + timedelta(minutes=1)) == {cast.own.id: 1}, (
        "the analysis's count in SQL draws the same line"
    )
    policy_now = assessment_policy()
    policy_now.repeat_window_days = 61
    db.session.merge(policy_now)
    db.session.commit()
    assert repeats_of([latest])[latest.id].occurrence == 3, "a longer window finds both"
    assert repeats_by_contractor(ids, since, now + timedelta(minutes=1)) == {cast.own.id: 2}
    assert old.id not in repeats_of([old])


def test_without_a_place_the_same_contractor_repeats(cast, toilets, make_site):
    east, _west = toilets
    first = failed_at(cast, east, utcnow() - timedelta(days=5))
    second = failed_at(cast, east, utcnow() - timedelta(days=2))
    for finding in (first, second):
        finding.site_id = None  # as a finding of a place since removed from the catalogue
    db.session.commit()
    assert repeats_of([second])[second.id].occurrence == 2
    second.contractor_id = cast.other.id
    db.session.commit()
    assert repeats_of([second]) == {}, "another contractor's failure is not a repeat"


def test_a_reopened_inspection_counts_once(cast, toilets):
    east, _west = toilets
    first = failed_at(cast, east, utcnow() - timedelta(days=3))
    inspection = first.inspection
    reopen(inspection, cast.manager, "改正备注")
    db.session.commit()
    (again,) = submit(inspection, cast.inspector)
    db.session.commit()
    later = failed_at(cast, east, utcnow())
    repeat = repeats_of([later])[later.id]
    assert repeat.occurrence == 2 and [e.id for e in repeat.earlier] == [again.id]


def test_the_report_the_notice_and_its_pdf_say_it_repeats(client, cast, toilets, tmp_path):
    east, _west = toilets
    first = failed_at(cast, east, utcnow() - timedelta(days=12))
    failed_at(cast, east, utcnow() - timedelta(days=6))
    third = failed_at(cast, east, utcnow())
    (notice,) = draft_notices(third.inspection, cast.inspector)
    issue(notice, cast.inspector)
    db.session.commit()

    login(client, cast.inspector)
    report = client.get(f"/inspections/{third.inspection_id}").text
    assert "30 天内第 3 次出现" in report
    assert f'href="/findings/{first.id}"' in report, "supervisors follow it to the earlier one"
    assert "30 天内第 3 次出现" in client.get(f"/notices/{notice.id}").text
    client.post("/logout")

    login(client, cast.owner)
    page = client.get(f"/notices/{notice.id}").text
    assert "30 天内第 3 次出现" in page and f"/findings/{first.id}" not in page
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(client.get(f"/notices/{notice.id}.pdf").data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "30 天内第 3 次出现" in text.replace("\n", "")


def test_a_weighted_repeat_deducts_more_and_says_so_in_the_score(client, cast, toilets):
    east, _west = toilets
    now = utcnow()
    month = month_of(now)
    elapsed = now - day_start(month_start(month))  # minutes only, just after midnight on the 1st
    first = failed_at(cast, east, now - elapsed * 2 / 3)
    again = failed_at(cast, east, now - elapsed / 3)

    def entries():
        (result,) = [r for r in assess_month(month) if r.contractor == cast.own]
        return {e.ref_id: e for line in result.lines for e in line.deductions}, result.overall

    plain, plain_score = entries()
    assert plain[first.id].points == plain[again.id].points and not plain[again.id].occurrence
    rules = assessment_policy()
    rules.repeat_weight = Decimal("1.5")
    db.session.merge(rules)
    db.session.commit()
    weighted, score = entries()
    assert weighted[first.id].points == plain[first.id].points, "the first is no repeat"
    assert weighted[again.id].points == plain[again.id].points * Decimal("1.5")
    assert weighted[again.id].occurrence == 2
    assert score == plain_score - plain[again.id].points * Decimal("0.5")
    (trend,) = [r for r in assess_month(month, itemised=False) if r.contractor == cast.own]
    assert trend.overall == score, "the bulletin's trend counts the repeat as the month does"

    login(client, cast.manager)
    history = client.get(f"/assessments/{month}/contractors/{cast.own.id}").text
    assert "重复出现，第 2 次：已加权" in history
