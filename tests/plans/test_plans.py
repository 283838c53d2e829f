"""Inspection plans: when they fall due, what was done or missed, starting a planned visit from
the today page or a place's QR code, and the printed QR labels."""

import subprocess
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import local_today, utcnow
from app.feedback.models import Rating
from app.feedback.surveys import record_answer as record_answer_to_survey
from app.inspections.models import Answer, Scope, Status, Tier
from app.inspections.recording import record_answer, submit
from app.jobs.clock import run_due_jobs
from app.notify.models import Event, EventKind, Notification
from app.plans.models import InspectionPlan, PlanStop, VisitState
from app.plans.recurrence import Recurrence, Rule, current_due, due_dates, open_until
from app.plans.tracking import figures, open_visits, start_visit, visits_between
from tests.helpers import login

# --- recurrence ------------------------------------------------------------------------


def test_daily_and_weekly_rules():
    daily = Rule(Recurrence.DAILY, starts_on=date(2026, 1, 30))
    assert due_dates(daily, date(2026, 1, 28), date(2026, 2, 2)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
        date(2026, 2, 2),
    ]
    assert open_until(daily, date(2026, 1, 31)) == date(2026, 1, 31)

    wednesdays = Rule(Recurrence.WEEKLY, starts_on=date(2026, 1, 1), weekday=2)
    assert due_dates(wednesdays, date(2026, 1, 1), date(2026, 1, 31)) == [
        date(2026, 1, 7),
        date(2026, 1, 14),
        date(2026, 1, 21),
        date(2026, 1, 28),
    ]
    # a week's joint check stays open until the day before the next one, across the month end
    assert open_until(wednesdays, date(2026, 1, 28)) == date(2026, 2, 3)
    assert current_due(wednesdays, date(2026, 2, 2)) == date(2026, 1, 28)


def test_a_day_past_the_month_end_falls_on_its_last_day():
    month_end = Rule(Recurrence.MONTHLY, starts_on=date(2027, 1, 1), day_of_month=31)
    assert due_dates(month_end, date(2027, 1, 1), date(2027, 4, 30)) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    leap = Rule(Recurrence.MONTHLY, starts_on=date(2028, 1, 1), day_of_month=30)
    assert due_dates(leap, date(2028, 2, 1), date(2028, 2, 29)) == [date(2028, 2, 29)]
    assert open_until(month_end, date(2027, 1, 31)) == date(2027, 2, 27)


def test_quarterly_and_half_yearly_rules_pick_their_month_of_the_period():
    second_month = Rule(
        Recurrence.QUARTERLY, starts_on=date(2026, 1, 1), day_of_month=15, period_month=2
    )
    assert due_dates(second_month, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 2, 15),
        date(2026, 5, 15),
        date(2026, 8, 15),
        date(2026, 11, 15),
    ]
    assert open_until(second_month, date(2026, 11, 15)) == date(2027, 2, 14)
    half = Rule(Recurrence.HALF_YEARLY, starts_on=date(2026, 1, 1), day_of_month=20, period_month=6)
    assert due_dates(half, date(2026, 1, 1), date(2027, 12, 31)) == [
        date(2026, 6, 20),
        date(2026, 12, 20),
        date(2027, 6, 20),
        date(2027, 12, 20),
    ]


def test_a_rule_keeps_within_its_start_and_end():
    rule = Rule(Recurrence.DAILY, starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 12))
    assert due_dates(rule, date(2026, 3, 1), date(2026, 3, 31)) == [
        date(2026, 3, 10),
        date(2026, 3, 11),
        date(2026, 3, 12),
    ]
    assert current_due(rule, date(2026, 3, 9)) is None


def test_twice_a_month_falls_on_its_day_and_fifteen_days_later():
    first = Rule(Recurrence.HALF_MONTHLY, starts_on=date(2027, 1, 1), day_of_month=1)
    assert due_dates(first, date(2027, 1, 1), date(2027, 2, 28)) == [
        date(2027, 1, 1),
        date(2027, 1, 16),
        date(2027, 2, 1),
        date(2027, 2, 16),
    ]
    # the second half runs to the month's end, whatever its length
    assert open_until(first, date(2027, 1, 16)) == date(2027, 1, 31)
    assert open_until(first, date(2027, 2, 16)) == date(2027, 2, 28)
    assert open_until(first, date(2027, 2, 1)) == date(2027, 2, 15)


def test_twice_a_month_keeps_its_second_day_in_the_month():
    fifteenth = Rule(Recurrence.HALF_MONTHLY, starts_on=date(2027, 1, 1), day_of_month=15)
    assert due_dates(fifteenth, date(2027, 1, 1), date(2027, 4, 30)) == [
        date(2027, 1, 15),
        date(2027, 1, 30),
        date(2027, 2, 15),
        date(2027, 2, 28),  # the 30th of February falls on its last day
        date(2027, 3, 15),
        date(2027, 3, 30),
        date(2027, 4, 15),
        date(2027, 4, 30),
    ]
    # the 31st of March still belongs to the occurrence of the 30th
    assert open_until(fifteenth, date(2027, 3, 30)) == date(2027, 4, 14)
    assert current_due(fifteenth, date(2027, 3, 1)) == date(2027, 2, 28)
    fourteenth = Rule(Recurrence.HALF_MONTHLY, starts_on=date(2027, 1, 1), day_of_month=14)
    assert due_dates(fourteenth, date(2027, 2, 1), date(2027, 2, 28)) == [
        date(2027, 2, 14),
        date(2027, 2, 28),
    ]
    assert due_dates(fourteenth, date(2028, 2, 1), date(2028, 2, 29)) == [
        date(2028, 2, 14),
        date(2028, 2, 29),
    ]


# --- tracking --------------------------------------------------------------------------


@pytest.fixture
def route(make_user, make_site, make_contractor, make_check_point):
    """A daily cleaning patrol of two places, started three days ago, by two inspectors."""
    point = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    building = make_site("综合楼", SiteKind.BUILDING)
    lobby = make_site("大堂", SiteKind.AREA, building)
    stairs = make_site("楼梯间", SiteKind.AREA, building)
    cleaner = make_contractor(name="宏达物业")
    cleaner.service_lines = [point.category.service_line]
    cleaner.sites = [building]
    inspector, partner = make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)
    plan = InspectionPlan(
        name="综合楼日常巡检",
        recurrence=Recurrence.DAILY,
        starts_on=local_today() - timedelta(days=3),
        tier=Tier.DAILY,
        scope=Scope.STRIP,
        service_line=point.category.service_line,
        stops=[PlanStop(site=lobby, position=1), PlanStop(site=stairs, position=2)],
        inspectors=[inspector, partner],
    )
    db.session.add(plan)
    db.session.commit()
    return {
        "plan": plan,
        "lobby": lobby,
        "stairs": stairs,
        "building": building,
        "inspector": inspector,
        "partner": partner,
    }


def test_days_without_an_inspection_are_missed_today_is_due(route):
    today = local_today()
    visits = visits_between(today - timedelta(days=3), today, today)
    assert [(v.due, v.site.name, v.state) for v in visits if v.due < today] == [
        (today - timedelta(days=n), name, VisitState.MISSED)
        for n in (3, 2, 1)
        for name in ("大堂", "楼梯间")
    ]
    assert [v.state for v in visits if v.due == today] == [VisitState.DUE, VisitState.DUE]
    assert figures(visits) == {"planned": 8, "done": 0, "missed": 6, "open": 2}


def test_a_started_visit_is_in_progress_and_done_once_submitted(route):
    today = local_today()
    inspector = route["inspector"]
    inspection = start_visit(route["plan"], today, route["lobby"], inspector, today)
    db.session.commit()
    assert (inspection.plan_id, inspection.plan_due) == (route["plan"].id, today)
    assert inspection.tier == Tier.DAILY and inspection.schedule.value == "scheduled"
    assert set(inspection.inspectors) == {inspector, route["partner"]}, "the plan's team"
    again = start_visit(route["plan"], today, route["lobby"], route["partner"], today)
    assert again.id == inspection.id, "the partner continues the same draft"

    states = {v.site.name: v.state for v in open_visits(inspector, today)}
    assert states == {"大堂": VisitState.IN_PROGRESS, "楼梯间": VisitState.DUE}
    for item in inspection.items:
        record_answer(item, Answer.PASS, inspector)
    submit(inspection, inspector, "")
    db.session.commit()
    assert inspection.status == Status.SUBMITTED
    states = {v.site.name: v.state for v in open_visits(inspector, today)}
    assert states["大堂"] == VisitState.DONE
    with pytest.raises(Refused):
        start_visit(route["plan"], today, route["lobby"], inspector, today)


def test_a_visit_starts_only_for_its_team_on_its_route_while_open(route, make_user, make_site):
    today = local_today()
    plan = route["plan"]
    with pytest.raises(Refused):
        start_visit(plan, today, route["lobby"], make_user(Role.INSPECTOR), today)
    with pytest.raises(Refused):
        start_visit(plan, today, make_site("车库", SiteKind.AREA), route["inspector"], today)
    with pytest.raises(Refused):
        start_visit(plan, today - timedelta(days=1), route["lobby"], route["inspector"], today)
    with pytest.raises(Refused):
        start_visit(plan, today + timedelta(days=1), route["lobby"], route["inspector"], today)


# --- pages -----------------------------------------------------------------------------


def test_the_today_page_lists_the_route_and_starts_a_stop(client, route):
    login(client, route["inspector"])
    home = client.get("/")
    assert "今日计划" in home.text and "大堂" in home.text and "楼梯间" in home.text
    today = local_today().isoformat()
    response = client.post(f"/plans/{route['plan'].id}/visits/{today}/{route['lobby'].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/run")
    assert "进行中" in client.get("/").text


@pytest.mark.parametrize("due", ["2026-02-30", "today"])
def test_a_link_to_an_occurrence_that_is_no_date_is_not_found(client, route, make_user, due):
    login(client, make_user(Role.MANAGER))
    plan, lobby = route["plan"], route["lobby"]
    assert client.post(f"/plans/{plan.id}/visits/{due}/{lobby.id}").status_code == 404
    assert client.post(f"/plans/{plan.id}/surveys/{due}").status_code == 404


def test_managers_define_plans_with_clear_errors(client, route, make_user):
    manager = make_user(Role.MANAGER)
    login(client, manager)
    # the route started three days ago: its six missed visits fall in one month or two
    missed_days = [local_today() - timedelta(days=n) for n in (3, 2, 1)]
    pages = [client.get(f"/plans/missed?month={m}") for m in {f"{d:%Y-%m}" for d in missed_days}]
    assert all(page.status_code == 200 for page in pages)
    assert sum(page.text.count("已错过") for page in pages) == 6
    base = {
        "name": "每周联检",
        "recurrence": "weekly",
        "starts_on": "2026-01-05",
        "tier": "weekly_joint",
        "scope": "block",
        "party": "internal",
        "sites": [str(route["lobby"].id)],
        "inspectors": [str(route["inspector"].id)],
        "active": "y",
    }
    refused = client.post("/plans/new", data=base)
    assert refused.status_code == 422 and "请选择星期几" in refused.text
    monthly = client.post("/plans/new", data={**base, "recurrence": "quarterly"})
    assert monthly.status_code == 422
    assert "请填写每月第几日" in monthly.text and "请填写 1 至 3 之间的月份" in monthly.text
    strip = client.post("/plans/new", data={**base, "weekday": "2", "scope": "strip"})
    assert strip.status_code == 422 and "条检需要选择一个服务项目" in strip.text
    saved = client.post("/plans/new", data={**base, "weekday": "2"})
    assert saved.status_code == 302
    plan = db.session.scalar(sa.select(InspectionPlan).where(InspectionPlan.name == "每周联检"))
    assert plan.recurrence == Recurrence.WEEKLY and plan.weekday == 2
    assert plan.sites == [route["lobby"]]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "plan_saved")), (
        "audited"
    )

    # walking order: the stairs before the lobby
    route_plan = route["plan"]
    stairs_stop = route_plan.stops[1]
    client.post(f"/plans/{route_plan.id}/stops/{stairs_stop.id}/move", data={"direction": "up"})
    db.session.refresh(route_plan)
    assert [stop.site.name for stop in route_plan.stops] == ["楼梯间", "大堂"]

    dashboard = client.get(f"/assessments/{local_today():%Y-%m}")
    assert "计划检查完成" in dashboard.text


def test_each_stop_asks_its_own_check_points(client, route, make_user, make_check_point):
    """The lobby is checked for its floor only; the stairs, with no choice, for everything."""
    floor = route["plan"].service_line.categories[0].check_points[0]
    handrail = make_check_point(line_code="CLN", category="公共区域", title="扶手")
    other_line = make_check_point(line_code="SEC", category="门岗", title="门岗在岗")
    db.session.commit()
    plan, lobby_stop = route["plan"], route["plan"].stops[0]
    login(client, make_user(Role.MANAGER))
    form = client.get(f"/plans/{plan.id}/stops/{lobby_stop.id}")
    assert form.status_code == 200 and "扶手" in form.text and "大堂地面" in form.text
    assert "门岗在岗" not in form.text, "only the plan's own line is offered"
    forged = client.post(
        f"/plans/{plan.id}/stops/{lobby_stop.id}", data={"check_points": [str(other_line.id)]}
    )
    assert forged.status_code == 422
    saved = client.post(
        f"/plans/{plan.id}/stops/{lobby_stop.id}", data={"check_points": [str(floor.id)]}
    )
    assert saved.status_code == 302
    assert "1 个检查点" in client.get(f"/plans/{plan.id}").text

    today = local_today()
    lobby = start_visit(plan, today, route["lobby"], route["inspector"], today)
    stairs = start_visit(plan, today, route["stairs"], route["inspector"], today)
    db.session.commit()
    assert [item.title for item in lobby.items] == ["大堂地面"]
    assert sorted(item.title for item in stairs.items) == ["大堂地面", "扶手"]
    assert handrail.id not in {item.check_point_id for item in lobby.items}

    cleared = client.post(f"/plans/{plan.id}/stops/{lobby_stop.id}", data={})
    db.session.refresh(lobby_stop)
    assert cleared.status_code == 302 and lobby_stop.check_points == []
    other_plan_stop = client.get(f"/plans/{plan.id}/stops/{lobby_stop.id + 999}")
    assert other_plan_stop.status_code == 404


@pytest.mark.parametrize("role, status", [(Role.CONTRACTOR, 403)])
def test_contractors_do_not_see_plans(client, route, make_user, role, status):
    login(client, make_user(role))
    assert client.get("/plans").status_code == status
    assert client.get(f"/scan/{route['lobby'].scan_token}").status_code == status


def test_scanning_a_place_opens_its_due_visit_and_records_the_scan(client, route):
    token = route["lobby"].scan_token
    assert client.get(f"/scan/{token}").status_code == 302, "log in first"
    login(client, route["inspector"])
    assert client.get("/scan/not-a-real-token").status_code == 404
    page = client.get(f"/scan/{token}")
    assert "大堂" in page.text and "开始巡检" in page.text
    opened = client.post(f"/scan/{token}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/run")
    visit = next(v for v in open_visits(route["inspector"], local_today()) if v.site.name == "大堂")
    assert visit.inspection.scanned_at is not None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "qr_scanned")
        )
        == 1
    )

    garage = route["building"]  # not on the route: offered a spot check instead
    other = client.get(f"/scan/{garage.scan_token}")
    assert "今天这里没有您的计划检查" in other.text


def test_qr_labels_round_trip_to_the_scan_page(app, client, route, make_user, tmp_path):
    login(client, make_user(Role.MANAGER))
    sheet = client.get(f"/sites/{route['building'].id}/labels.pdf")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(sheet.data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "p")], check=True)
    decoded = set()
    for png in sorted(tmp_path.glob("p*.png")):
        decoded |= {result.text for result in zxingcpp.read_barcodes(Image.open(png))}
    tokens = {site.scan_token for site in (route["building"], route["lobby"], route["stairs"])}
    assert {url.rsplit("/", 1)[1] for url in decoded} == tokens
    lobby_url = next(url for url in decoded if url.endswith(route["lobby"].scan_token))
    login(client, route["inspector"])
    assert "大堂" in client.get(lobby_url.replace("http://localhost", "")).text


# --- survey plans ----------------------------------------------------------------------


def test_a_survey_plan_is_opened_each_quarter_and_missed_when_not(
    client, make_user, make_contractor
):
    """A quarterly opinion survey falls due like an inspection: last quarter's, never
    opened, is missed; this quarter's is opened by a manager from the today page and done
    once someone has answered it."""
    manager, inspector = make_user(Role.MANAGER), make_user(Role.INSPECTOR)
    cleaner = make_contractor(name="安泰物业")
    db.session.commit()
    today = local_today()
    login(client, manager)
    saved = client.post(
        "/plans/new",
        data={
            "name": "每季度满意度征询",
            "activity": "survey",
            "recurrence": "quarterly",
            "day_of_month": "1",
            "period_month": "1",
            "starts_on": (today - timedelta(days=200)).isoformat(),
            "tier": "daily",
            "scope": "strip",
            "party": "internal",
            "inspectors": [str(manager.id), str(inspector.id)],
            "active": "y",
        },
    )
    assert saved.status_code == 302, "a survey plan needs no route and no service line"
    plan = db.session.scalar(
        sa.select(InspectionPlan).where(InspectionPlan.name == "每季度满意度征询")
    )
    assert plan.is_survey and plan.stops == [] and plan.tier is None
    due = current_due(plan.rule, today)
    assert due == date(today.year, (today.month - 1) // 3 * 3 + 1, 1)

    visits = visits_between(today - timedelta(days=200), today, today, plans=[plan])
    assert [visit.state for visit in visits][-1] == VisitState.DUE
    assert VisitState.MISSED in {visit.state for visit in visits[:-1]}
    assert figures(visits)["missed"] == len(visits) - 1
    assert "开启问卷" in client.get("/").text

    client.post("/logout")
    login(client, inspector)
    refused = client.post(f"/plans/{plan.id}/surveys/{due.isoformat()}")
    assert refused.status_code == 403, "inspectors do not open surveys"
    client.post("/logout")
    login(client, make_user(Role.MANAGER))
    outsider = client.post(f"/plans/{plan.id}/surveys/{due.isoformat()}")
    assert outsider.status_code == 302 and outsider.headers["Location"].endswith("/")
    client.post("/logout")

    login(client, manager)
    opened = client.post(f"/plans/{plan.id}/surveys/{due.isoformat()}")
    assert "/surveys/" in opened.headers["Location"]
    again = client.post(f"/plans/{plan.id}/surveys/{due.isoformat()}")
    assert again.headers["Location"] == opened.headers["Location"], "opened once per quarter"
    (visit,) = visits_between(due, due, today, plans=[plan])
    assert visit.state == VisitState.IN_PROGRESS and visit.survey.plan_due == due
    assert visit.survey.opens_on == today and visit.survey.closes_on == open_until(plan.rule, due)

    record_answer_to_survey(visit.survey, "someone", {cleaner.id: Rating.SATISFIED})
    db.session.commit()
    db.session.expire_all()
    (visit,) = visits_between(due, due, today, plans=[plan])
    assert visit.state == VisitState.DONE


def test_the_worker_tells_the_team_and_managers_of_each_missed_visit_once(route, make_user):
    manager = make_user(Role.MANAGER)
    run_due_jobs()
    run_due_jobs(utcnow() + timedelta(hours=2))
    missed = db.session.scalars(sa.select(Event).where(Event.kind == EventKind.VISIT_MISSED)).all()
    assert len(missed) == 6, "three days, two places, each once"
    heard = {n.user_id for n in db.session.scalars(sa.select(Notification))}
    assert heard == {route["inspector"].id, route["partner"].id, manager.id}
