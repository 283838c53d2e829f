"""The demo's inspection plans, and (with history) the last fortnight of scanned patrols,
with a few stops missed so that the missed list and the dashboard have something to say."""

from datetime import UTC, datetime, time, timedelta

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.core.timeutil import LOCAL_TZ, clock_at, local_today
from app.demo import factories
from app.inspections.models import Answer, Scope, Tier
from app.inspections.recording import record_answer, submit
from app.plans.models import InspectionPlan
from app.plans.recurrence import Recurrence
from app.plans.tracking import start_visit

PATROL_DAYS = 14
MISSED = {(3, "B1-F3-WC"), (6, "B1-F1-WC"), (6, "B1-F3-WC")}  # (days ago, stop)


def seed_plans(
    sites: dict[str, Site],
    lines: dict[str, ServiceLine],
    contractors: dict[str, Contractor],
    users: dict[str, User],
    history: bool,
) -> None:
    today = local_today()
    start = today - timedelta(days=PATROL_DAYS)
    team = [users["inspector"], users["inspector2"]]
    with_manager = [*team, users["manager"]]
    patrol = factories.plan(
        "1号办公楼保洁日常巡检",
        [sites["B1-F1-LOBBY"], sites["B1-F1-WC"], sites["B1-F3-WC"]],
        team,
        start,
        service_line=lines["CLN"],
    )
    for name, recurrence, tier, stop, contractor, days in (
        ("机关食堂每周联检", Recurrence.WEEKLY, Tier.WEEKLY_JOINT, "CANTEEN", "禾香餐饮",
         {"weekday": 2}),
        ("安泰物业月度考核", Recurrence.MONTHLY, Tier.MONTHLY, "B1", "安泰物业",
         {"day_of_month": 25}),
        ("安保服务半年考核", Recurrence.HALF_YEARLY, Tier.HALF_YEARLY, "GATE", "鑫盾保安",
         {"day_of_month": 20, "period_month": 6}),
    ):  # fmt: skip
        factories.plan(
            name,
            [sites[stop]],
            with_manager,
            start,
            recurrence,
            tier,
            Scope.BLOCK,
            contractor=contractors[contractor],
            **days,
        )
    _toilets_check_toilet_points(patrol, lines["CLN"])
    if history:
        _walk_patrols(patrol, today)


def _toilets_check_toilet_points(patrol: InspectionPlan, cleaning: ServiceLine) -> None:
    """The patrol's toilet stops ask only the toilet category; the lobby asks everything."""
    toilet = next(c for c in cleaning.categories if c.name == "卫生间")
    for stop in patrol.stops:
        if stop.site.code.endswith("-WC"):
            stop.check_points = list(toilet.check_points)


def _walk_patrols(patrol: InspectionPlan, today) -> None:
    """Each past day of the patrol, each stop scanned and checked, but for those MISSED."""
    for days_ago in range(PATROL_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        walker = patrol.inspectors[days_ago % 2]
        moment = datetime.combine(day, time(9, 0), LOCAL_TZ).astimezone(UTC)
        for stop in patrol.stops:
            moment += timedelta(minutes=20)
            if (days_ago, stop.site.code) in MISSED:
                continue
            with clock_at(moment):
                inspection = start_visit(patrol, day, stop.site, walker, day, scanned_at=moment)
            for minute, item in enumerate(inspection.items, start=1):
                record_answer(
                    item, Answer.PASS, walker, answered_at=moment + timedelta(minutes=minute)
                )
            ended = moment + timedelta(minutes=len(inspection.items) + 2)
            with clock_at(ended):
                submit(inspection, walker, "")
            inspection.ended_at = ended
