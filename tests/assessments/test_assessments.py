"""The month's assessment from records, traceable points, and the bulletin's publishing."""

import io
import subprocess
import zipfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.analysis.figures import by_area
from app.analysis.selection import Selection
from app.assessments.access import bulletins_seen, reads_drafts
from app.assessments.areas import area_figures
from app.assessments.bulletins import notice_figures
from app.assessments.models import Bulletin, BulletinStatus, SatisfactionEntry
from app.assessments.monthly import assess_month
from app.catalog.models import Area, ServiceLine, Severity, SiteKind
from app.catalog.rules import assessment_policy
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, as_utc, clock_at, month_of, month_start, shift_month, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope, Tier
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
from app.notify.models import EventKind, Notification
from tests.helpers import jpeg, login


@pytest.fixture
def month():
    """The month the test's records fall in, taken when the test starts."""
    return month_of(utcnow())


@pytest.fixture
def kitchen(cast, make_check_point, make_site):
    """A kitchen where the caterer (`cast.own`) answers for catering and laundry, and a laundry
    (`cast.other`) for laundry too; one block-only point on labour contracts."""
    ensure_default_rules()
    kitchen = make_site("后厨", SiteKind.COMPOUND)
    make_check_point(
        line_code="CAT",
        category="食品安全",
        title="食品留样",
        severity=Severity.CRITICAL,
        deduction="5",
    )
    drain = make_check_point(line_code="CAT", category="厨房环境", title="地面排水", deduction="1")
    make_check_point(
        block_only=True,
        category="劳动用工",
        title="劳动合同",
        severity=Severity.MAJOR,
        deduction="3",
    )
    laundry = make_check_point(line_code="DRM", category="洗涤", title="洗涤质量")
    cast.own.service_lines = [drain.category.service_line, laundry.category.service_line]
    cast.own.sites = [kitchen]
    cast.other.service_lines = [laundry.category.service_line]
    cast.other.sites = [kitchen]
    db.session.commit()
    return kitchen


def inspect(cast, kitchen, tier, failing):
    checked = start_inspection(
        Plan(Scope.BLOCK, kitchen, contractor=cast.own),
        cast.inspector,
        tier=tier,
    )
    for item in checked.items:
        fail = item.title in failing
        record_answer(item, Answer.FAIL if fail else Answer.PASS, cast.inspector)
        if fail:
            record_note(item, f"{item.title}不合格", cast.inspector)
            if item.needs_photo:
                attach_photo(item, jpeg(), cast.inspector)
    submit(checked, cast.inspector)
    db.session.commit()
    return checked


def bulletin_body(page: str) -> str:
    """The bulletin itself, without the per-request parts of the page (CSRF token, flashes)."""
    return page[page.index('<article class="document bulletin">') : page.index("</article>")]


def result_for(contractor, results):
    return next(r for r in results if r.contractor.id == contractor.id)


def test_a_finding_just_after_midnight_on_the_first_counts_in_that_month(cast, kitchen):
    """The bureau's calendar decides the month, on SQLite too (which compares times as text):
    00:30 on 1 December in Beijing is still 30 November in UTC."""
    with clock_at(datetime(2026, 12, 1, 0, 30, tzinfo=LOCAL_TZ).astimezone(UTC)):
        inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    catering = [r.lines[0] for r in assess_month("2026-12") if r.contractor == cast.own]
    assert [e.label for e in catering[0].deductions] == ["地面排水"]
    november = [r.lines[0] for r in assess_month("2026-11") if r.contractor == cast.own]
    assert november[0].deductions == []


def test_findings_deduct_by_line_with_the_tier_weight_and_are_traced(month, cast, kitchen):
    inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    inspect(cast, kitchen, Tier.MONTHLY, {"食品留样", "劳动合同"})
    caterer = result_for(cast.own, assess_month(month))
    catering, laundry = caterer.lines
    assert [(e.label, e.points) for e in catering.deductions] == [
        ("地面排水", Decimal("1.0")),
        ("食品留样", Decimal("7.5")),
        ("劳动合同", Decimal("4.5")),
    ]
    assert catering.score == Decimal("87.0") and laundry.score == Decimal(100)
    assert caterer.overall == Decimal("93.5")
    assert all(e.kind == "finding" for e in catering.deductions)
    other = result_for(cast.other, assess_month(month))
    assert other.overall == Decimal(100) and other.rank == 1 and caterer.rank == 2


def test_the_trend_sums_findings_in_the_database_to_the_same_scores(month, cast, kitchen):
    current = assessment_policy()
    current.tier_weights = {**current.tier_weights, "daily": "1.25"}
    db.session.merge(current)
    db.session.commit()
    for _ in range(3):  # 1 point × 1.25 is 1.3 each, rounded one by one: 3.9, not 3.8
        inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    inspect(cast, kitchen, Tier.MONTHLY, {"食品留样", "劳动合同"})
    itemised = assess_month(month)
    summed = assess_month(month, itemised=False)
    caterer = result_for(cast.own, summed)
    assert caterer.lines[0].deducted == Decimal("3.9") + Decimal("7.5") + Decimal("4.5")
    assert [(r.contractor.id, r.overall, [line.score for line in r.lines]) for r in summed] == [
        (r.contractor.id, r.overall, [line.score for line in r.lines]) for r in itemised
    ]


def test_the_trend_rounds_in_the_database_as_each_finding_is_rounded(month, cast, kitchen):
    """0.3 points × 1.5 is 0.45, which a float (SQLite's NUMERIC) keeps as 0.4499…: summed
    in the database it still rounds up to 0.5, as one finding does; a contractor's own
    report is rounded again after its share (0.5 × 0.5 = 0.25, counted 0.3)."""
    current = assessment_policy()
    current.tier_weights = {**current.tier_weights, "daily": "1.5", "self_check": "0.5"}
    db.session.merge(current)
    db.session.commit()
    checks = [inspect(cast, kitchen, Tier.DAILY, {"地面排水"}) for _ in range(2)]
    checks[1].self_check = True
    for check in checks:
        for finding in check.findings:
            finding.deduction = Decimal("0.3")
    db.session.commit()
    itemised = result_for(cast.own, assess_month(month)).lines[0]
    summed = result_for(cast.own, assess_month(month, itemised=False)).lines[0]
    assert summed.deducted == itemised.deducted == Decimal("0.5") + Decimal("0.3")


def test_notice_figures_count_notices_closed_on_time_and_late(month, cast, kitchen):
    from tests.notices.test_notices import jpeg

    notices = []
    for _ in range(4):
        (notice,) = draft_notices(inspect(cast, kitchen, Tier.DAILY, {"地面排水"}), cast.inspector)
        issue(notice, cast.inspector)
        notices.append(notice)
    first, second, late, _still_open = notices
    for notice, fixed_at in (
        (first, None),
        (second, None),
        (late, notice_deadline(late) + timedelta(hours=1)),
    ):
        acknowledge(notice, cast.owner)
        for item in notice.items:
            report_fix(item, cast.owner, "已整改", [jpeg()], now=fixed_at)
            accept_fix(item, cast.inspector, now=fixed_at)
    db.session.commit()
    assert notice_figures(month) == {"issued": 4, "closed": 3, "closed_on_time": 2, "overdue": 0}

    # a rejection moves the deadline on, but the notice was issued with the first one
    (extended,) = draft_notices(inspect(cast, kitchen, Tier.DAILY, {"地面排水"}), cast.inspector)
    issue(extended, cast.inspector)
    acknowledge(extended, cast.owner)
    (item,) = extended.items
    issued_deadline = as_utc(extended.deadline)
    report_fix(item, cast.owner, "已整改", [jpeg()])
    reject_fix(item, cast.inspector, "仍有积水", issued_deadline + timedelta(days=2))
    fixed_at = issued_deadline + timedelta(hours=1)
    report_fix(item, cast.owner, "已疏通", [jpeg()], now=fixed_at)
    accept_fix(item, cast.inspector, now=fixed_at)
    db.session.commit()
    assert notice_figures(month) == {"issued": 5, "closed": 4, "closed_on_time": 2, "overdue": 0}


def notice_deadline(notice):
    return max(as_utc(item.deadline) for item in notice.items)


def test_overdue_notices_and_warnings_deduct(month, cast, kitchen):
    checked = inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    (notice,) = draft_notices(checked, cast.inspector)
    issue(notice, cast.inspector)
    for item in notice.items:  # eight days late: overdue, and past the limit for a warning
        item.deadline = utcnow() - timedelta(days=8)
    escalate()
    db.session.commit()
    catering = result_for(cast.own, assess_month(month)).lines[0]
    kinds = [(e.kind, e.points) for e in catering.deductions]
    assert ("overdue", Decimal("2")) in kinds and ("warning", Decimal("5")) in kinds


def test_bonus_satisfaction_and_money_on_the_page(month, client, cast, kitchen):
    login(client, cast.manager)
    line = cast.own.service_lines[0]
    response = client.post(
        f"/assessments/{month}/bonus",
        data={
            "contractor_line": f"{cast.own.id}:{line.id}",
            "kind": "praise",
            "points": "2",
            "reason": "收到表扬信",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        f"/assessments/{month}/bonus",
        data={
            "contractor_line": f"{cast.other.id}:{line.id}",
            "kind": "praise",
            "points": "2",
            "reason": "不服务该项目",
        },
    )
    assert bad.status_code == 302
    client.post(
        f"/assessments/{month}/satisfaction",
        data={"contractor_id": cast.own.id, "rate": "96.5", "respondents": "80"},
    )
    caterer = result_for(cast.own, assess_month(month))
    assert [e.label for e in caterer.lines[0].bonuses] == ["收到表扬信"]
    assert caterer.lines[0].score == Decimal(102) and caterer.satisfaction == Decimal("96.50")
    assert caterer.money > 0
    page = client.get(f"/assessments/{month}").text
    assert "收到表扬信" in page and "96.50%" in page


def test_assessment_pages_are_for_supervisors(month, client, cast, kitchen):
    login(client, cast.owner)
    assert client.get(f"/assessments/{month}").status_code == 403
    assert client.get(f"/assessments/{month}.xlsx").status_code == 403
    assert client.get("/assessments/policy").status_code == 403
    client.post("/logout")
    login(client, cast.inspector)
    assert client.get(f"/assessments/{month}").status_code == 200
    assert client.get("/assessments/2026-13").status_code == 404


def test_manager_changes_the_rules(month, client, cast, kitchen):
    login(client, cast.manager)
    client.get("/assessments/policy")
    form = {
        f"weight-{t}": "1" for t in ("daily", "weekly_joint", "monthly", "half_yearly", "ad_hoc")
    }
    form.update(
        {
            "weight-self_check": "0.5",
            "overdue_notice_points": "3",
            "exit_warning_points": "6",
            "complaint_points": "3",
            "bonus_cap": "4",
            "criticise_below": "90",
            "praise_top": "2",
            "repeat_window_days": "21",
            "repeat_weight": "1",
        }
    )
    for name in ("score_bands", "satisfaction_bands"):
        for index, (minimum, percent) in enumerate(
            (("95", "8"), ("90", "0"), ("80", "-8"), ("0", "-20"))
        ):
            form[f"{name}-{index}-minimum"] = minimum
            form[f"{name}-{index}-percent"] = percent
    assert client.post("/assessments/policy", data=form).status_code == 302
    inspect(cast, kitchen, Tier.MONTHLY, {"地面排水"})
    catering = result_for(cast.own, assess_month(month)).lines[0]
    assert catering.deductions[0].points == Decimal("1.0")  # the monthly weight is now 1
    assert assessment_policy().repeat_window_days == 21
    too_long = client.post("/assessments/policy", data=form | {"repeat_window_days": "400"})
    assert too_long.status_code == 422 and "重复问题的判断期限为 1 至 365 天。" in too_long.text
    form["score_bands-1-minimum"] = "99"  # out of order
    refused = client.post("/assessments/policy", data=form)
    assert refused.status_code == 422 and "请按起点从高到低排列各档。" in refused.text
    assert 'value="99"' in refused.text, "what was typed comes back to be corrected"
    form["weight-daily"] = "9"
    assert "层级权重应在0至5之间。" in client.post("/assessments/policy", data=form).text
    assert (
        assessment_policy().score_bands[1]["minimum"] == "90"
        and assessment_policy().tier_weights["daily"] == "1"
    )


def test_xlsx_for_the_finance_office(month, client, cast, kitchen):
    inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    login(client, cast.manager)
    response = client.get(f"/assessments/{month}.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["考核得分", "扣分加分明细", "问题清单", "整改通知"]
    rows = list(workbook["问题清单"].iter_rows(values_only=True))
    assert rows[1][1] == "禾香餐饮" and rows[1][2] == "地面排水"


def test_every_score_in_the_xlsx_sums_from_its_itemised_rows(month, client, cast, kitchen):
    """Findings of two tiers (one of them repeated, weighted), an overdue notice and its exit
    warning, and bonuses beyond the cap: 100 plus a line's rows is its score, and the mean of a
    contractor's lines its overall score."""
    rules = assessment_policy()
    rules.repeat_weight = Decimal("2")
    db.session.merge(rules)
    inspect(cast, kitchen, Tier.DAILY, {"地面排水", "洗涤质量"})
    checked = inspect(cast, kitchen, Tier.MONTHLY, {"食品留样", "地面排水", "劳动合同"})
    (notice,) = [n for n in draft_notices(checked, cast.inspector) if n.contractor == cast.own]
    issue(notice, cast.inspector)
    for item in notice.items:
        item.deadline = utcnow() - timedelta(days=8)
    escalate()
    db.session.commit()
    login(client, cast.manager)
    line = cast.own.service_lines[0]
    for points in ("4", "3"):  # 7 in all, over the cap of 5
        client.post(
            f"/assessments/{month}/bonus",
            data={
                "contractor_line": f"{cast.own.id}:{line.id}",
                "kind": "praise",
                "points": points,
                "reason": "表扬",
            },
        )
    book = load_workbook(io.BytesIO(client.get(f"/assessments/{month}.xlsx").data))
    scores = {
        (row[1], row[2]): (Decimal(str(row[3])), Decimal(str(row[6])))
        for row in book["考核得分"].iter_rows(min_row=2, values_only=True)
    }
    rows = list(book["扣分加分明细"].iter_rows(min_row=2, values_only=True))
    sources = {row[2] for row in rows}
    assert {"检查发现", "逾期整改通知", "书面退出预警", "加分", "加分超出上限"} <= sources
    assert any(row[5] == 3.0 for row in rows), "a monthly finding, repeated: 1.5 × 2"
    summed = defaultdict(Decimal)
    for contractor, line_name, _source, _record, _raw, _weight, counted, _score in rows:
        summed[(contractor, line_name)] += Decimal(str(counted))
    for (contractor, line_name), (line_score, _overall) in scores.items():
        assert Decimal(100) + summed[(contractor, line_name)] == line_score, (contractor, line_name)
    for contractor in {c for c, _ in scores}:
        line_scores = [s for (c, _), (s, _o) in scores.items() if c == contractor]
        overall = next(o for (c, _), (_s, o) in scores.items() if c == contractor)
        mean = sum(line_scores) / len(line_scores)
        assert mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) == overall


# --- the bulletin ----------------------------------------------------------------------


def test_a_draft_bulletin_is_for_managers_only(month, client, cast, kitchen):
    login(client, cast.owner)
    assert client.get(f"/bulletins/{month}").status_code == 404
    assert client.get(f"/bulletins/{month}.pdf").status_code == 404
    assert month not in client.get("/bulletins").text
    client.post("/logout")
    login(client, cast.manager)
    assert client.get(f"/bulletins/{month}").status_code == 200


def test_publishing_freezes_the_bulletin(month, client, cast, kitchen, tmp_path):
    inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    login(client, cast.manager)
    client.post(
        f"/bulletins/{month}",
        data={"summary": "本月总体平稳", "praise": "", "criticism": "", "measures": "加强巡查"},
    )
    assert client.post(f"/bulletins/{month}/publish").status_code == 302
    published = bulletin_body(client.get(f"/bulletins/{month}").text)
    assert "99.5" in published and "本月总体平稳" in published  # 100 and 99 on two lines

    # later records change nothing printed
    inspect(cast, kitchen, Tier.DAILY, {"地面排水", "洗涤质量"})
    assert bulletin_body(client.get(f"/bulletins/{month}").text) == published
    client.post(
        f"/bulletins/{month}",
        data={"summary": "改写", "praise": "", "criticism": "", "measures": ""},
    )
    assert "已发布的通报不能修改" in client.get(f"/bulletins/{month}").text
    assert bulletin_body(client.get(f"/bulletins/{month}").text) == published
    assert client.post(f"/bulletins/{month}/publish").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Bulletin.id))) == 1

    told = db.session.scalars(sa.select(Notification)).all()
    assert {n.user_id for n in told} == {cast.owner.id, cast.colleague.id, cast.outsider.id}
    assert {n.event.kind for n in told} == {EventKind.BULLETIN_PUBLISHED}, "told once"

    client.post("/logout")
    login(client, cast.outsider)
    assert client.get(f"/bulletins/{month}").text.count("禾香餐饮") >= 1
    with client.get(f"/bulletins/{month}.pdf") as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        path = tmp_path / "bulletin.pdf"
        path.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("后勤服务监管月度通报", "禾香餐饮", "99.5", "加强巡查"):
        assert expected in text, expected
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert any("CJK" in line for line in fonts)
    assert all(line.split()[-5] == "yes" for line in fonts), "every font is embedded"
    bulletin = db.session.scalar(sa.select(Bulletin))
    assert bulletin.status == BulletinStatus.PUBLISHED and bulletin.snapshot["month"] == month


def test_bulletin_html_snapshot(month, client, cast, kitchen):
    """The published page renders the frozen data the same way every time."""
    inspect(cast, kitchen, Tier.MONTHLY, {"食品留样"})
    db.session.add(
        SatisfactionEntry(
            month=month,
            contractor_id=cast.own.id,
            rate=Decimal("91.5"),
            respondents=30,
            entered_by_id=cast.manager.id,
        )
    )
    db.session.commit()
    login(client, cast.manager)
    client.post(f"/bulletins/{month}/publish")
    body = bulletin_body(client.get(f"/bulletins/{month}").text)
    assert "<svg" in body and "polyline" in body
    scores = body[body.index('<table class="table scores">') :]
    assert scores[: scores.index("</table>")].count("<tr>") == 3  # the header, two contractors
    assert "91.5" in body and "食品留样" not in body
    assert "安泰" in body and "禾香" in body
    assert bulletin_body(client.get(f"/bulletins/{month}").text) == body


def by_area_in_kitchen(cast, kitchen):
    """Catering counted as cleaning (保洁); laundry's line left without an area."""
    catering = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    catering.area = Area.CLEANING
    db.session.commit()
    inspect(cast, kitchen, Tier.DAILY, {"地面排水", "洗涤质量"})
    inspect(cast, kitchen, Tier.MONTHLY, {"食品留样"})


def test_the_bulletin_totals_the_months_findings_by_area_as_the_analysis_does(month, cast, kitchen):
    by_area_in_kitchen(cast, kitchen)
    with clock_at(utcnow() + timedelta(days=40)):
        inspect(cast, kitchen, Tier.DAILY, {"地面排水"})  # another month's: not counted

    rows = area_figures(month)
    assert [row["area"] for row in rows] == [*(a.value for a in Area), None]
    totals = {row["area"]: (row["findings"], row["points"]) for row in rows}
    assert totals[Area.CLEANING.value] == (2, "6.0")  # deducted as found, not as weighted
    assert totals[None] == (1, "1.0")
    assert totals[Area.GREENING.value] == (0, "0.0")

    next_month = month_start(shift_month(month, 1))
    analysed = by_area(Selection("month", month_start(month), next_month - timedelta(days=1)))
    assert [(f.findings, f"{f.points:.1f}") for f in analysed] == [
        (row["findings"], row["points"]) for row in rows
    ]


def test_the_bulletins_areas_are_on_its_page_and_in_its_pdf(month, client, cast, kitchen, tmp_path):
    by_area_in_kitchen(cast, kitchen)
    login(client, cast.manager)
    draft = bulletin_body(client.get(f"/bulletins/{month}").text)
    for expected in ("按国家标准领域统计问题", "保洁", "绿化", "会务服务", "未归类"):
        assert expected in draft, expected
    assert client.post(f"/bulletins/{month}/publish").status_code == 302
    published = bulletin_body(client.get(f"/bulletins/{month}").text)
    assert "按国家标准领域统计问题" in published and "未归类" in published

    path = tmp_path / "bulletin.pdf"
    path.write_bytes(client.get(f"/bulletins/{month}.pdf").data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("按国家标准领域统计问题", "保洁", "客户服务", "未归类", "6.0"):
        assert expected in text, expected


def test_the_xlsx_writes_what_outsiders_typed_as_text_never_a_formula(month, client, cast, kitchen):
    checked = inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    finding = checked.findings[0]
    finding.note = '=HYPERLINK("http://example.invalid/x","点此查看")'
    db.session.commit()
    login(client, cast.manager)
    data = client.get(f"/assessments/{month}.xlsx").data
    cell = load_workbook(io.BytesIO(data))["问题清单"]["F2"]
    assert cell.value == finding.note and cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/")]
        assert not any(b"<f>" in package.read(name) for name in sheets), "no formula at all"


READS_DRAFTS = {"inspector": False, "manager": True, "admin": True, "owner": False}


@pytest.mark.parametrize("role", READS_DRAFTS)
def test_who_reads_which_bulletins(cast, role):
    user = getattr(cast, role)
    db.session.add_all(
        [
            Bulletin(month="2026-01", status=BulletinStatus.PUBLISHED),
            Bulletin(month="2026-02", status=BulletinStatus.DRAFT),
        ]
    )
    db.session.flush()
    seen = set(db.session.scalars(sa.select(Bulletin.month).where(bulletins_seen(user))))
    assert reads_drafts(user) is READS_DRAFTS[role]
    assert seen == ({"2026-01", "2026-02"} if READS_DRAFTS[role] else {"2026-01"})
