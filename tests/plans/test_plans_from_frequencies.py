"""Plans made from a line's frequencies: one proposed per frequency its check points use,
reviewed and adjusted before anything is saved; each checks only its frequency's points."""

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from app.auth.models import Role
from app.catalog.models import Frequency, ServiceLine, SiteKind
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import LOCAL_TZ, local_today
from app.inspections.models import Inspection, Party, Tier
from app.plans.models import InspectionPlan
from app.plans.proposals import create_plans, propose_plans
from app.plans.recurrence import Recurrence
from app.plans.tracking import start_visit
from tests.helpers import login

MONDAY = date(2027, 3, 1)


@pytest.fixture
def cleaning(make_check_point, make_site, make_user):
    """The cleaning line: two daily points, one weekly, one monthly, and a quarterly one
    switched off; a point of another line; two places and an inspector."""
    make_check_point(line_code="SEC", category="门岗", title="门岗值守", frequency=Frequency.DAILY)
    daily = [
        make_check_point(line_code="CLN", title="大堂地面", frequency=Frequency.DAILY),
        make_check_point(line_code="CLN", title="卫生间", frequency=Frequency.DAILY),
    ]
    weekly = make_check_point(line_code="CLN", title="玻璃幕墙", frequency=Frequency.WEEKLY)
    monthly = make_check_point(line_code="CLN", title="地毯清洗", frequency=Frequency.MONTHLY)
    make_check_point(line_code="CLN", title="外墙清洗", frequency=Frequency.QUARTERLY, active=False)
    line = weekly.category.service_line
    line.name = "保洁"
    building = make_site("综合楼", SiteKind.BUILDING)
    lobby = make_site("大堂", SiteKind.AREA, building)
    stairs = make_site("楼梯间", SiteKind.AREA, building)
    inspector = make_user(Role.INSPECTOR)
    db.session.commit()
    return {
        "line": line,
        "daily": daily,
        "weekly": weekly,
        "monthly": monthly,
        "lobby": lobby,
        "stairs": stairs,
        "inspector": inspector,
    }


def _plans() -> list[InspectionPlan]:
    return list(db.session.scalars(sa.select(InspectionPlan).order_by(InspectionPlan.id)))


# --- the logic ---------------------------------------------------------------------------


def test_a_line_proposes_one_plan_per_frequency_its_active_points_use(cleaning):
    proposals = propose_plans(cleaning["line"], MONDAY)
    assert [p.frequency for p in proposals] == [
        Frequency.DAILY,
        Frequency.WEEKLY,
        Frequency.MONTHLY,
    ]
    daily, weekly, monthly = proposals
    assert daily.name == "保洁·每日检查" and weekly.name == "保洁·每周检查"
    assert daily.points == cleaning["daily"] and weekly.points == [cleaning["weekly"]]
    assert [p.recurrence for p in proposals] == [
        Recurrence.DAILY,
        Recurrence.WEEKLY,
        Recurrence.MONTHLY,
    ]
    assert (weekly.weekday, weekly.day_of_month) == (0, None)
    assert (monthly.weekday, monthly.day_of_month) == (None, 1)
    assert [p.tier for p in proposals] == [Tier.DAILY, Tier.WEEKLY_JOINT, Tier.MONTHLY]
    assert all(p.starts_on == MONDAY and p.chosen for p in proposals)
    assert _plans() == [], "proposing saves nothing"


def test_creating_saves_the_chosen_proposals_as_adjusted_each_audited(cleaning):
    daily, weekly, monthly = propose_plans(cleaning["line"], MONDAY)
    daily.chosen = False
    weekly.name, weekly.weekday = "保洁周检（周三）", 2
    monthly.day_of_month = 20
    places = [cleaning["stairs"], cleaning["lobby"]]
    made = create_plans(
        cleaning["line"], places, [cleaning["inspector"]], Party.INTERNAL, [daily, weekly, monthly]
    )
    db.session.commit()
    assert _plans() == made
    assert [(p.name, p.frequency, p.recurrence) for p in made] == [
        ("保洁周检（周三）", Frequency.WEEKLY, Recurrence.WEEKLY),
        ("保洁·每月检查", Frequency.MONTHLY, Recurrence.MONTHLY),
    ]
    assert made[0].weekday == 2 and made[0].day_of_month is None
    assert made[1].day_of_month == 20 and made[1].weekday is None
    assert all(plan.sites == places for plan in made), "the route in the order given"
    assert all(plan.inspectors == [cleaning["inspector"]] for plan in made)
    audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan_saved"))
    assert sorted(event.object_id for event in audited) == sorted(plan.id for plan in made)

    with pytest.raises(Refused):
        create_plans(cleaning["line"], places, [], Party.INTERNAL, [daily])


def test_a_frequency_plans_inspection_checks_only_that_frequencys_points(cleaning):
    today = local_today()
    daily, weekly, _monthly = propose_plans(cleaning["line"], today)
    weekly.weekday = today.weekday()
    inspector, lobby, stairs = cleaning["inspector"], cleaning["lobby"], cleaning["stairs"]
    made = create_plans(
        cleaning["line"], [lobby, stairs], [inspector], Party.INTERNAL, [daily, weekly]
    )
    db.session.commit()
    for plan, expected in zip(made, (cleaning["daily"], [cleaning["weekly"]]), strict=True):
        inspection = start_visit(plan, today, lobby, inspector, today)
        assert [item.check_point for item in inspection.items] == expected
    # a plan without a frequency checks every active point of its line, as before
    made[1].frequency = None
    inspection = start_visit(made[1], today, stairs, inspector, today)
    assert {item.check_point for item in inspection.items} == {
        *cleaning["daily"],
        cleaning["weekly"],
        cleaning["monthly"],
    }


# --- the pages ---------------------------------------------------------------------------


def _choice(cleaning) -> dict:
    return {
        "service_line": str(cleaning["line"].id),
        "sites": [str(cleaning["lobby"].id), str(cleaning["stairs"].id)],
        "starts_on": "2027-03-01",
        "party": "internal",
        "inspectors": [str(cleaning["inspector"].id)],
    }


def _reviewed(cleaning, **changes) -> dict:
    """What the review page sends back untouched: every proposal kept as proposed."""
    data = _choice(cleaning)
    proposed = [
        ("daily", "保洁·每日检查", "daily", {}),
        ("weekly", "保洁·每周检查", "weekly_joint", {"weekday": "0"}),
        ("monthly", "保洁·每月检查", "monthly", {"day_of_month": "1"}),
    ]
    for n, (frequency, name, tier, days) in enumerate(proposed):
        entry = {"frequency": frequency, "chosen": "y", "name": name, "starts_on": "2027-03-01"}
        entry |= {"tier": tier, **days}
        data |= {f"plans-{n}-{key}": value for key, value in entry.items()}
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def test_the_review_page_proposes_the_plans_and_saves_nothing(client, cleaning, make_user):
    login(client, make_user(Role.MANAGER))
    line = cleaning["line"]
    first = client.get(f"/plans/from-frequencies?line={line.id}")
    assert first.status_code == 200
    assert f'<option selected value="{line.id}">' in first.text
    review = client.post("/plans/from-frequencies", data=_choice(cleaning))
    assert review.status_code == 200
    for name in ("保洁·每日检查", "保洁·每周检查", "保洁·每月检查"):
        assert name in review.text
    assert "外墙清洗" not in review.text and "门岗值守" not in review.text
    assert "2 个检查点" in review.text and "玻璃幕墙" in review.text
    assert 'name="plans-1-weekday"' in review.text
    assert 'name="plans-0-weekday"' not in review.text, "a daily plan has no weekday"
    assert _plans() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_confirming_saves_exactly_the_chosen_plans_with_their_changes(client, cleaning, make_user):
    login(client, make_user(Role.MANAGER))
    sent = _reviewed(
        cleaning,
        **{
            "plans-0-chosen": None,
            "plans-1-name": "玻璃幕墙周检",
            "plans-1-weekday": "4",
            "plans-1-starts_on": "2027-03-08",
            "plans-2-day_of_month": "25",
        },
    )
    saved = client.post("/plans/from-frequencies/save", data=sent)
    assert saved.status_code == 302 and saved.location.endswith("/plans")
    weekly, monthly = _plans()
    assert (weekly.name, weekly.weekday, weekly.starts_on) == ("玻璃幕墙周检", 4, date(2027, 3, 8))
    assert weekly.frequency == Frequency.WEEKLY and weekly.tier == Tier.WEEKLY_JOINT
    assert (monthly.name, monthly.day_of_month) == ("保洁·每月检查", 25)
    assert [site.name for site in monthly.sites] == ["大堂", "楼梯间"]
    page = client.get(f"/plans/{weekly.id}")
    assert "仅检查频次为每周的检查点" in page.text
    # the stop's choice of points offers only the plan's frequency
    stop = client.get(f"/plans/{weekly.id}/stops/{weekly.stops[0].id}")
    assert "玻璃幕墙" in stop.text and "大堂地面" not in stop.text


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"plans-2-day_of_month": "40"}, "请填写1至31之间的日期"),
        ({"plans-2-day_of_month": "x"}, 'id="plans-2-day_of_month-errors"'),
        ({"plans-1-weekday": None}, "请选择星期几"),
        ({"plans-1-name": " "}, "请填写计划名称"),
        ({"plans-0-chosen": None, "plans-1-chosen": None, "plans-2-chosen": None}, "至少选择一项"),
        ({"plans-2-frequency": "quarterly"}, "请重新核对计划"),
        ({"sites": None}, "请至少选择一个地点"),
        ({"service_line": "9999"}, 'id="service_line-errors"'),
    ],
)
def test_a_bad_review_is_refused_with_a_clear_error_and_saves_nothing(
    client, cleaning, make_user, changes, error
):
    login(client, make_user(Role.MANAGER))
    refused = client.post("/plans/from-frequencies/save", data=_reviewed(cleaning, **changes))
    assert refused.status_code == 422
    assert error in refused.text
    assert _plans() == []


def test_the_review_looks_up_the_lines_points_once(client, cleaning, make_user):
    login(client, make_user(Role.MANAGER))
    looked_up = []

    def note(connection, cursor, statement, *args):
        if re.search(r"FROM check_points JOIN check_categories", statement):
            looked_up.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        review = client.post("/plans/from-frequencies", data=_choice(cleaning))
        refused = client.post(
            "/plans/from-frequencies/save", data=_reviewed(cleaning, **{"plans-1-weekday": None})
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert (review.status_code, refused.status_code) == (200, 422)
    assert "玻璃幕墙" in review.text and "玻璃幕墙" in refused.text
    assert len(looked_up) == 2, "once for each page shown"


@pytest.mark.parametrize(
    "field", ["service_line", "sites", "inspectors", "plans-1-weekday", "plans-2-day_of_month"]
)
@pytest.mark.parametrize("value", ["99999999999999999999", str(2**31), "-1", "abc", "", "1e9"])
def test_hostile_values_on_the_review_are_refused_never_a_server_error(
    client, cleaning, make_user, field, value
):
    login(client, make_user(Role.MANAGER))
    sent = _reviewed(cleaning, **{field: value})
    refused = client.post("/plans/from-frequencies/save", data=sent)
    assert refused.status_code == 422
    assert _plans() == []


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"sites": None}, "请至少选择一个地点"),
        ({"inspectors": None}, "请至少选择一名检查人员"),
        ({"service_line": "9999"}, 'id="service_line-errors"'),
        ({"service_line": "abc"}, 'id="service_line-errors"'),
        ({"starts_on": "2027-02-30"}, 'id="starts_on-errors"'),
    ],
)
def test_a_bad_choice_of_line_places_or_team_is_a_form_error(
    client, cleaning, make_user, changes, error
):
    login(client, make_user(Role.MANAGER))
    data = _choice(cleaning)
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    refused = client.post("/plans/from-frequencies", data=data)
    assert refused.status_code == 422 and error in refused.text


def test_a_line_without_active_points_proposes_nothing(client, cleaning, make_user):
    login(client, make_user(Role.MANAGER))
    security = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "SEC"))
    for point in (point for category in security.categories for point in category.check_points):
        point.active = False
    db.session.commit()
    data = {**_choice(cleaning), "service_line": str(security.id)}
    nothing = client.post("/plans/from-frequencies", data=data)
    assert nothing.status_code == 422 and "该服务项目没有启用的检查点" in nothing.text


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.CONTRACTOR])
def test_inspectors_and_contractors_cannot_make_plans_from_frequencies(
    client, cleaning, make_user, role
):
    login(client, make_user(role))
    assert client.get("/plans/from-frequencies").status_code == 403
    assert client.post("/plans/from-frequencies", data=_choice(cleaning)).status_code == 403
    assert client.post("/plans/from-frequencies/save", data=_reviewed(cleaning)).status_code == 403
    assert _plans() == []


def test_a_plan_made_by_hand_twice_a_month_takes_a_day_from_1_to_15(client, cleaning, make_user):
    login(client, make_user(Role.MANAGER))
    data = {
        "name": "保洁半月检查",
        "activity": "inspection",
        "recurrence": "half_monthly",
        "starts_on": "2027-03-01",
        "tier": "daily",
        "scope": "strip",
        "party": "internal",
        "service_line": str(cleaning["line"].id),
        "sites": [str(cleaning["lobby"].id)],
        "inspectors": [str(cleaning["inspector"].id)],
        "active": "y",
    }
    for day in ("", "16"):
        refused = client.post("/plans/new", data={**data, "day_of_month": day})
        assert refused.status_code == 422 and "请填写1至15日" in refused.text
    for day in ("40", "x"):
        refused = client.post("/plans/new", data={**data, "day_of_month": day})
        errors = re.search(r'id="day_of_month-errors".*?</', refused.text, re.DOTALL)
        assert refused.status_code == 422 and errors, "the field's own error"
        assert "请填写1至15日" not in refused.text, "said once, by the field"
    data |= {"period_month": "5", "weekday": "2"}  # left over from another recurrence
    assert client.post("/plans/new", data={**data, "day_of_month": "15"}).status_code == 302
    (plan,) = _plans()
    assert (plan.recurrence, plan.day_of_month, plan.frequency) == (
        Recurrence.HALF_MONTHLY,
        15,
        None,
    )
    assert (plan.period_month, plan.weekday) == (None, None)
    page = client.get(f"/plans/{plan.id}").text
    assert "15日和30日" in page and "周期内" not in page


# --- scanning a place two plans are due at -----------------------------------------------


@pytest.fixture
def both_due(cleaning):
    """The daily and the weekly plan along the same route, both due on a Monday morning
    (the clock fixed there); the inspector walks both."""
    with time_machine.travel(datetime(2027, 3, 1, 9, 30, tzinfo=LOCAL_TZ), tick=True):
        daily, weekly, _monthly = propose_plans(cleaning["line"], MONDAY)
        route = [cleaning["lobby"], cleaning["stairs"]]
        plans = create_plans(
            cleaning["line"], route, [cleaning["inspector"]], Party.INTERNAL, [daily, weekly]
        )
        db.session.commit()
        yield {**cleaning, "plans": plans}


def _started(plan) -> list[Inspection]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Inspection).where(Inspection.plan_id == plan.id)))


def test_a_scan_offers_every_visit_due_at_the_place_and_starts_the_one_chosen(client, both_due):
    daily, weekly = both_due["plans"]
    login(client, both_due["inspector"])
    token = both_due["lobby"].scan_token
    page = client.get(f"/scan/{token}")
    assert "保洁·每日检查" in page.text and "保洁·每周检查" in page.text
    for plan in (daily, weekly):
        assert f'name="visit" value="{plan.id}:2027-03-01"' in page.text
    assert page.text.count('name="latitude"') == 1, "one location for whichever is tapped"

    opened = client.post(f"/scan/{token}", data={"visit": f"{weekly.id}:2027-03-01"})
    assert opened.status_code == 302 and opened.location.endswith("/run")
    (checked,) = _started(weekly)
    assert _started(daily) == [], "only the plan chosen is started"
    assert [item.check_point for item in checked.items] == [both_due["weekly"]]
    assert checked.scanned_at is not None

    latitude = {"latitude": "32.06", "longitude": "118.78", "accuracy": "15"}
    opened = client.post(f"/scan/{token}", data={"visit": f"{daily.id}:2027-03-01", **latitude})
    assert opened.status_code == 302
    (other,) = _started(daily)
    assert other.id != checked.id
    assert [item.check_point for item in other.items] == both_due["daily"]
    assert (other.scanned_at, other.scan_accuracy_m) != (None, None)
    assert other.scan_accuracy_m == 15 and _started(weekly)[0].scan_accuracy_m is None
    continued = client.get(f"/scan/{token}")
    assert continued.text.count("继续在此巡检") == 2, "both started, both can be continued"


@pytest.mark.parametrize(
    "visit",
    [
        "",
        "{daily}:2027-03-02",
        "{daily}:2027-03-01x",
        "{other}:2027-03-01",
        "99999999999999999999:1",
    ],
)
def test_a_scan_refuses_a_visit_not_due_at_the_place(client, both_due, make_user, visit):
    daily, weekly = both_due["plans"]
    elsewhere = create_plans(
        both_due["line"],
        [both_due["stairs"]],
        [both_due["inspector"]],
        Party.INTERNAL,
        propose_plans(both_due["line"], MONDAY)[:1],
    )[0]
    db.session.commit()
    login(client, both_due["inspector"])
    sent = visit.format(daily=daily.id, other=elsewhere.id)
    refused = client.post(f"/scan/{both_due['lobby'].scan_token}", data={"visit": sent})
    assert refused.status_code == 422 and "保洁·每周检查" in refused.text
    assert "该巡检今天不在此处进行" in refused.text
    assert _started(daily) == _started(weekly) == _started(elsewhere) == []


# --- editing a plan made from a frequency ------------------------------------------------


def _edited(plan, **changes) -> dict:
    """What the plan's edit form sends, as it stands, with `changes`."""
    data = {
        "name": plan.name,
        "activity": "inspection",
        "recurrence": plan.recurrence.value,
        "weekday": "" if plan.weekday is None else str(plan.weekday),
        "starts_on": plan.starts_on.isoformat(),
        "tier": plan.tier.value,
        "scope": "strip",
        "party": "internal",
        "service_line": str(plan.service_line_id),
        "frequency": plan.frequency.value if plan.frequency else "",
        "sites": [str(site.id) for site in plan.sites],
        "inspectors": [str(user.id) for user in plan.inspectors],
        "active": "y",
    }
    return data | changes


def test_a_plans_frequency_is_shown_on_its_form_and_can_be_changed_or_cleared(
    client, cleaning, make_user
):
    _daily, weekly = propose_plans(cleaning["line"], MONDAY)[:2]
    (plan,) = create_plans(
        cleaning["line"], [cleaning["lobby"]], [cleaning["inspector"]], Party.INTERNAL, [weekly]
    )
    db.session.commit()
    login(client, make_user(Role.MANAGER))
    form = client.get(f"/plans/{plan.id}/edit")
    frequency = re.search(r'<select[^>]* name="frequency".*?</select>', form.text, re.DOTALL)
    assert frequency, "the form shows the plan's frequency"
    assert '<option selected value="weekly">' in frequency[0]
    assert '<option value="">全部检查点</option>' in frequency[0]
    security = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "SEC"))

    cleared = client.post(f"/plans/{plan.id}/edit", data=_edited(plan, service_line=security.id))
    assert cleared.status_code == 422, "the security line has no weekly points"
    assert 'id="frequency-errors"' in cleared.text and "没有频次为每周的检查点" in cleared.text

    saved = client.post(
        f"/plans/{plan.id}/edit", data=_edited(plan, service_line=security.id, frequency="")
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert (plan.service_line, plan.frequency) == (security, None)
    today = local_today()
    plan.starts_on, plan.recurrence, plan.weekday = today, Recurrence.DAILY, None
    inspection = start_visit(plan, today, cleaning["lobby"], cleaning["inspector"], today)
    assert [item.title for item in inspection.items] == ["门岗值守"]
    db.session.rollback()

    daily = client.post(f"/plans/{plan.id}/edit", data=_edited(plan, frequency="daily"))
    assert daily.status_code == 302
    db.session.expire_all()
    assert plan.frequency == Frequency.DAILY
    assert "仅检查频次为每日的检查点" in client.get(f"/plans/{plan.id}").text
