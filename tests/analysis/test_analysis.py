"""Finding the patterns (/analysis): every figure checked against records made for the test,
narrowed by period, line, place and the inspection's kind; a contractor sees only its own."""

import io
import re
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.analysis.figures import figures_for
from app.analysis.models import AnalysisMeeting
from app.analysis.selection import selection_from
from app.catalog.models import Area, Severity, SiteKind
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, clock_at, local_today, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Finding, Scope, Tier
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.deadlines import ensure_default_rules
from app.notices.lifecycle import (
    accept_fix,
    acknowledge,
    draft_notices,
    escalate,
    issue,
    reject_fix,
    report_fix,
)
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence
from tests.helpers import jpeg, login
from tests.plans.test_plans import route  # noqa: F401  (a fixture)


@pytest.fixture
def campus(cast, make_check_point, make_site):
    """A building with two floors; the caterer (`cast.own`) cleans and caters, a cleaner
    (`cast.other`) cleans too, on another floor."""
    ensure_default_rules()
    building = make_site("综合楼", SiteKind.BUILDING)
    first = make_site("一层", SiteKind.FLOOR, building)
    second = make_site("二层", SiteKind.FLOOR, building)
    annex = make_site("附楼", SiteKind.BUILDING)
    toilet = make_check_point(line_code="CLN", category="卫生间", title="卫生间无异味")
    food = make_check_point(
        line_code="CAT",
        category="食品安全",
        title="食品留样",
        severity=Severity.CRITICAL,
        deduction="5",
    )
    cast.own.service_lines = [toilet.category.service_line, food.category.service_line]
    cast.own.sites = [first, annex]
    cast.other.service_lines = [toilet.category.service_line]
    cast.other.sites = [second]
    db.session.commit()
    return {"building": building, "first": first, "second": second, "annex": annex}


def fail(cast, site, line, when, tier=Tier.DAILY, titles=None):
    """A submitted strip check of `line` at `site` at `when`, failing every point (or those
    titled); its findings."""
    checked = start_inspection(
        Plan(Scope.STRIP, site, service_line=line), cast.inspector, tier=tier
    )
    for item in checked.items:
        failed = titles is None or item.title in titles
        record_answer(
            item, Answer.FAIL if failed else Answer.PASS, cast.inspector, answered_at=when
        )
        if failed:
            record_note(item, f"{item.title}不合格", cast.inspector)
            if item.needs_photo:
                attach_photo(item, jpeg(), cast.inspector)
    findings = submit(checked, cast.inspector)
    db.session.commit()
    return findings


def line(cast, code):
    return next(line for line in cast.own.service_lines if line.code == code)


@pytest.fixture
def month_of_records(cast, campus):
    """Within this month (all in the past): six findings of the caterer, three of them repeats
    (twice the first floor's toilet, once the annex's food samples), one of the cleaner; two
    notices, one fixed on time and one overdue."""
    now = utcnow()
    start = now.astimezone(LOCAL_TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # spread over the month so far, which is only minutes long just after midnight on the 1st
    at = [
        min(start + timedelta(hours=1 + n), start + (now - start) * (n + 1) / 8) for n in range(6)
    ]
    cleaning, catering = line(cast, "CLN"), line(cast, "CAT")
    fail(cast, campus["first"], cleaning, at[0])
    fail(cast, campus["first"], cleaning, at[1])  # a repeat at the same floor
    fail(cast, campus["first"], cleaning, at[2])  # and another
    (food,) = fail(cast, campus["annex"], catering, at[3], tier=Tier.MONTHLY)
    fail(cast, campus["annex"], cleaning, at[4])
    fail(cast, campus["second"], cleaning, at[5])  # the cleaner's
    drafts = draft_notices(food.inspection, cast.inspector)
    (on_time,) = drafts
    issue(on_time, cast.inspector)
    acknowledge(on_time, cast.owner)
    report_fix(on_time.items[0], cast.owner, "已补留样", [jpeg()])
    accept_fix(on_time.items[0], cast.inspector)
    (late,) = draft_notices(
        fail(cast, campus["annex"], catering, at[5])[0].inspection, cast.inspector
    )
    issue(late, cast.inspector)
    late.items[0].deadline = late.deadline = now - timedelta(minutes=1)
    escalate(now)
    db.session.commit()
    return {"food": food, "late": late}


def figures_as(user, **args):
    from werkzeug.datastructures import MultiDict

    return figures_for(selection_from(MultiDict(args), user), with_inspectors=True)


def test_each_figure_counts_the_records(cast, campus, month_of_records):
    figures = figures_as(cast.manager)
    assert figures.total == 7
    assert sum(b.total for b in figures.buckets) == 7
    assert {line: sum(c.values()) for line, c in figures.by_line.items()} == {
        "服务CLN": 5,
        "服务CAT": 2,
    }
    assert figures.by_line["服务CAT"]["critical"] == 2
    assert [(title, n) for _id, title, n in figures.top_points] == [
        ("卫生间无异味", 5),
        ("食品留样", 2),
    ]
    assert [(p.site.name, p.findings) for p in figures.places] == [("综合楼", 4), ("附楼", 3)]
    caterer = next(c for c in figures.contractors if c.contractor == cast.own)
    assert (caterer.findings, caterer.repeats) == (6, 3)
    assert (caterer.items, caterer.fixed_on_time, caterer.overdue_notices) == (2, 1, 1)
    assert caterer.on_time_rate == 50.0 and caterer.median_hours is not None
    cleaner = next(c for c in figures.contractors if c.contractor == cast.other)
    assert (cleaner.findings, cleaner.repeats, cleaner.items) == (1, 0, 0)


def test_a_fix_after_the_issued_deadline_is_late_though_a_rejection_moved_the_deadline(
    cast, campus
):
    issued_at = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    with clock_at(issued_at - timedelta(hours=1)):
        (food,) = fail(cast, campus["annex"], line(cast, "CAT"), utcnow())
        (notice,) = draft_notices(food.inspection, cast.inspector)
    issue(notice, cast.inspector, issued_at)
    acknowledge(notice, cast.owner, issued_at)
    issued_deadline = notice.deadline
    item = notice.items[0]
    report_fix(item, cast.owner, "已补留样", [jpeg()], issued_at + timedelta(minutes=30))
    reject_fix(
        item,
        cast.inspector,
        "留样量不足",
        issued_deadline + timedelta(days=2),
        issued_at + timedelta(hours=1),
    )
    fixed_at = issued_deadline + timedelta(hours=1)  # after the deadline issued, before the new
    report_fix(item, cast.owner, "已按量补足留样", [jpeg()], fixed_at)
    accept_fix(item, cast.inspector, fixed_at + timedelta(hours=1))
    db.session.commit()

    march = {"period": "custom", "from": "2025-03-01", "to": "2025-03-31"}
    figures = figures_as(cast.manager, **march)
    caterer = next(c for c in figures.contractors if c.contractor == cast.own)
    assert (caterer.items, caterer.fixed_on_time, caterer.on_time_rate) == (1, 0, 0.0)


def test_filters_narrow_every_figure(cast, campus, month_of_records):
    building = figures_as(cast.manager, site=str(campus["building"].id))
    assert building.total == 4 and [(p.site.name, p.findings) for p in building.places] == [
        ("一层", 3),
        ("二层", 1),
    ]
    catering = figures_as(cast.manager, line=str(line(cast, "CAT").id))
    assert catering.total == 2 and list(catering.by_line) == ["服务CAT"]
    monthly = figures_as(cast.manager, tier="monthly")
    assert monthly.total == 1
    last_year = figures_as(cast.manager, period="year", at=f"{utcnow().year - 1}-06")
    assert last_year.total == 0 and len(last_year.buckets) == 12


def test_a_contractor_sees_only_its_own_company(client, cast, campus, month_of_records):
    own = figures_as(cast.owner, contractor=str(cast.other.id))
    assert own.total == 6 and [c.contractor for c in own.contractors] == [cast.own]
    login(client, cast.owner)
    page = client.get(f"/analysis?contractor={cast.other.id}").text
    assert "6 个问题" in page and cast.other.short_name not in page
    assert "各巡查员的计划检查" not in page
    listed = client.get(f"/analysis/findings?contractor={cast.other.id}").text
    assert "6 个问题" in listed
    book = load_workbook(io.BytesIO(client.get("/analysis.xlsx").data))
    names = [row[0].value for row in book["承包单位"].iter_rows(min_row=2)]
    assert names == [cast.own.name]
    client.post("/logout")
    login(client, cast.outsider)
    assert "1 个问题" in client.get("/analysis").text


def test_every_figure_links_to_its_findings(client, cast, campus, month_of_records):
    login(client, cast.manager)
    page = client.get("/analysis").text
    assert "7 个问题" in page
    point = month_of_records["food"].check_point_id
    assert f"point={point}" in page
    behind = client.get(f"/analysis/findings?point={point}").text
    assert "2 个问题" in behind and f'href="/findings/{month_of_records["food"].id}"' in behind
    critical = client.get("/analysis/findings?severity=critical").text
    assert "2 个问题" in critical
    assert client.get("/analysis/findings?severity=worst").status_code == 400
    assert "/analysis/findings?repeats=1&amp;period=month" in page
    repeats = client.get(f"/analysis/findings?repeats=1&contractor={cast.own.id}").text
    assert "3 个问题" in repeats, "the first floor's toilet twice, the annex's food samples once"


@pytest.mark.parametrize(
    "query",
    [
        "period=decade",
        "at=2026-13",
        "period=custom&from=2026-05-01&to=2026-04-01",
        "period=custom&from=2020-01-01&to=2026-01-01",
        "tier=hourly",
    ],
)
def test_a_bad_choice_is_refused(client, cast, query):
    login(client, cast.manager)
    assert client.get(f"/analysis?{query}").status_code == 400


def test_the_meeting_pack_is_made_once_with_the_measures_agreed(
    client, cast, campus, month_of_records, tmp_path
):
    login(client, cast.manager)
    refused = client.post("/analysis/meetings?period=month", data={"held_on": "2026-11-30"})
    assert refused.status_code == 302 and db.session.scalar(sa.select(AnalysisMeeting)) is None
    kept = client.post(
        "/analysis/meetings?period=month",
        data={"held_on": "2026-11-30", "measures": "一层卫生间每日加巡两次\n留样由专人负责"},
    )
    assert kept.status_code == 302 and kept.location == "/analysis/meetings"
    meeting = db.session.scalar(sa.select(AnalysisMeeting))
    listed = client.get("/analysis/meetings").text
    assert "2026-11-30" in listed and "一层卫生间每日加巡两次" in listed
    with client.get(f"/analysis/meetings/{meeting.id}.pdf") as response:
        first = response.data
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(first)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "质量分析例会" in text and "留样由专人负责" in text and "7 个问题" in text
    fail(cast, campus["first"], line(cast, "CLN"), utcnow() - timedelta(minutes=1))
    with client.get(f"/analysis/meetings/{meeting.id}.pdf") as again:
        assert again.data == first, "kept, not made again"
    client.post("/logout")

    login(client, cast.owner)
    assert client.get("/analysis/meetings").status_code == 403
    assert client.get(f"/analysis/meetings/{meeting.id}.pdf").status_code == 403
    assert client.post("/analysis/meetings", data={"measures": "x"}).status_code == 403


def test_each_inspector_s_planned_visits_link_to_the_visits(client, cast, route):  # noqa: F811
    """A daily patrol of two places, started three days ago: six visits missed, two due."""
    today = local_today()
    period = {"period": "custom", "from": (today - timedelta(days=5)).isoformat()}
    period["to"] = today.isoformat()
    (figure, _partner) = sorted(
        figures_as(cast.manager, **period).inspectors, key=lambda f: f.inspector.id
    )
    assert (figure.inspector, figure.planned, figure.done, figure.missed) == (
        route["inspector"],
        8,
        0,
        6,
    )
    login(client, cast.manager)
    page = client.get("/analysis", query_string=period).text
    link = re.search(r'href="(/analysis/visits\?[^"]*state=missed[^"]*)"', page)[1]
    assert f"inspector={route['inspector'].id}" in link
    missed = client.get(
        "/analysis/visits",
        query_string={**period, "inspector": route["inspector"].id, "state": "missed"},
    ).text
    assert "6 次" in missed and missed.count("card-bad") == 6
    assert client.get("/analysis/visits?state=lost").status_code == 400
    client.post("/logout")
    login(client, cast.owner)
    assert client.get("/analysis/visits").status_code == 403


def patrol(name, inspector, line, site, tier=Tier.DAILY):
    """A daily strip patrol of one place through the first week of March 2025."""
    db.session.add(
        InspectionPlan(
            name=name,
            recurrence=Recurrence.DAILY,
            starts_on=date(2025, 3, 3),
            ends_on=date(2025, 3, 9),
            tier=tier,
            scope=Scope.STRIP,
            service_line=line,
            stops=[PlanStop(site=site, position=1)],
            inspectors=[inspector],
        )
    )


def test_the_inspectors_planned_visits_are_narrowed_by_the_filters_too(client, cast, campus):
    """One inspector patrols the caterer's cleaning on the first floor; the other its catering
    in the annex (monthly) and the cleaner's cleaning on the second floor."""
    cleaning, catering = line(cast, "CLN"), line(cast, "CAT")
    patrol("一层保洁", cast.inspector, cleaning, campus["first"])
    patrol("附楼餐饮", cast.second_inspector, catering, campus["annex"], Tier.MONTHLY)
    patrol("二层保洁", cast.second_inspector, cleaning, campus["second"])
    db.session.commit()
    week = {"period": "custom", "from": "2025-03-03", "to": "2025-03-09"}

    def planned(**narrowed):
        figures = figures_as(cast.manager, **week, **narrowed)
        return {f.inspector: (f.planned, f.missed) for f in figures.inspectors}

    first, second = cast.inspector, cast.second_inspector
    assert planned() == {first: (7, 7), second: (14, 14)}
    assert planned(line=str(catering.id)) == {second: (7, 7)}
    assert planned(line=str(cleaning.id)) == {first: (7, 7), second: (7, 7)}
    assert planned(contractor=str(cast.other.id)) == {second: (7, 7)}
    assert planned(contractor=str(cast.own.id)) == {first: (7, 7), second: (7, 7)}
    assert planned(site=str(campus["building"].id)) == {first: (7, 7), second: (7, 7)}
    assert planned(site=str(campus["annex"].id)) == {second: (7, 7)}
    assert planned(tier="monthly") == {second: (7, 7)}
    assert planned(tier="monthly", site=str(campus["first"].id)) == {}

    login(client, cast.manager)
    missed = client.get(
        "/analysis/visits",
        query_string={**week, "inspector": second.id, "state": "missed", "tier": "monthly"},
    ).text
    assert "7 次" in missed and "附楼" in missed and "二层" not in missed


def test_findings_are_totalled_by_the_national_standards_areas(
    client, cast, campus, month_of_records
):
    line(cast, "CLN").area = Area.CLEANING
    db.session.commit()  # the caterer's line is the bureau's own: no area

    figures = figures_as(cast.manager)
    rows = {row.area: (row.findings, row.points) for row in figures.by_area}
    assert [row.area for row in figures.by_area] == [*Area, None]
    assert rows[Area.CLEANING][0] == 5 and rows[None][0] == 2
    assert rows[Area.GREENING] == (0, 0)
    deducted = dict(
        db.session.execute(
            sa.select(Finding.title, sa.func.sum(Finding.deduction)).group_by(Finding.title)
        ).all()
    )
    assert rows[Area.CLEANING][1] == deducted["卫生间无异味"]
    assert rows[None][1] == deducted["食品留样"]

    login(client, cast.manager)
    page = client.get("/analysis").text
    assert "按国家标准领域统计问题" in page and "公共秩序" in page and "未归类" in page
