"""The demo's complaints, one at each step (just received online, under investigation from
the hotline, upheld with its finding and draft notice, dismissed), and this quarter's survey."""

import random
from datetime import date, timedelta

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.core.timeutil import local_today
from app.demo import factories
from app.feedback.complaints import accept, add_evidence, assign, dismiss, file_complaint, uphold
from app.feedback.models import ComplaintChannel, Rating
from app.feedback.surveys import record_answer
from app.plans.models import PlanActivity
from app.plans.recurrence import Recurrence


def seed_complaints(
    sites: dict[str, Site],
    lines: dict[str, ServiceLine],
    contractors: dict[str, Contractor],
    users: dict[str, User],
) -> None:
    manager, inspector = users["manager"], users["inspector"]
    file_complaint(
        ComplaintChannel.ONLINE,
        "二层卫生间无洗手液",
        "2号办公楼二层卫生间洗手液连续三天是空的。",
        location="2号办公楼二层",
    )
    investigating, _ = file_complaint(
        ComplaintChannel.HOTLINE,
        "会议室空调噪音大",
        "第一会议室空调运行时噪音很大，影响开会。",
        location="1号办公楼三层第一会议室",
        contact="分机 8021",
        logged_by=manager,
    )
    accept(investigating, manager)
    add_evidence(investigating, inspector, "现场听到外机风扇异响，已通知维修班组检查。")

    upheld, _ = file_complaint(
        ComplaintChannel.LIAISON,
        "午餐凉拌菜有异味",
        "联络员反映：本周三午餐凉拌菜有异味，多名干部未食用。",
        location="机关食堂",
        logged_by=manager,
    )
    accept(upheld, manager)
    add_evidence(
        upheld,
        inspector,
        "查看留样，凉拌菜未按规定冷藏，厨师长承认操作不当。",
        [factories.photo(501)],
    )
    assign(upheld, manager, contractors["禾香餐饮"], lines["CAT"], sites["CANTEEN-KIT"])
    uphold(upheld, manager, "经调查投诉属实：凉拌菜制作后未及时冷藏。")

    dismissed, _ = file_complaint(
        ComplaintChannel.HOTLINE,
        "门岗不让进",
        "来办事被门岗拦下。",
        location="北门",
        logged_by=manager,
    )
    accept(dismissed, manager)
    add_evidence(dismissed, inspector, "调取监控：来访人员未出示证件，门岗按规定登记后放行。")
    dismiss(dismissed, manager, "门岗按来访登记规定执行，处置得当，投诉不成立。")


def seed_survey(contractors: dict[str, Contractor], users: dict[str, User]) -> None:
    """The quarterly survey plan and this quarter's survey it opened ten days ago (or on the
    quarter's first day), with thirty anonymous answers so far."""
    today = local_today()
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    opened = max(quarter_start, today - timedelta(days=10))
    plan = factories.plan(
        "每季度服务满意度征询",
        [],
        [users["manager"]],
        opened,
        Recurrence.QUARTERLY,
        tier=None,
        scope=None,
        activity=PlanActivity.SURVEY,
        period_month=opened.month - quarter_start.month + 1,
        day_of_month=opened.day,
    )
    survey = factories.survey(
        users["manager"], opened, today + timedelta(days=20), plan=plan, plan_due=opened
    )
    rng = random.Random(7)
    weights = (
        Rating.SATISFIED,
        Rating.SATISFIED,
        Rating.SATISFIED,
        Rating.FAIR,
        Rating.DISSATISFIED,
    )
    for person in range(30):
        rated = rng.sample(list(contractors.values()), k=rng.randint(2, len(contractors)))
        record_answer(survey, f"demo-{person}", {c.id: rng.choice(weights) for c in rated})
