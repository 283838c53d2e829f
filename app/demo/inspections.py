"""Two months of demo inspections: every kind, with failures, notes and generated photos."""

import random
from datetime import UTC, datetime, time, timedelta

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import LOCAL_TZ, clock_at, local_today
from app.demo import factories
from app.inspections.checklist import Plan, start_inspection
from app.inspections.external import attach_document, start_external
from app.inspections.models import Answer, ExternalBody, Party, Schedule, Scope, Tier
from app.inspections.recording import attach_photo, record_answer, record_note, submit

NOTES = [
    "现场检查发现该项未达标准，已拍照留存。",
    "地面有明显污渍和积水，未设置警示牌。",
    "台账记录不全，近三天未填写。",
    "物品未按定置图摆放，通道有堆物。",
    "设备运行记录缺失，值班人员无法说明情况。",
    "人员未佩戴工牌，着装不统一。",
    "消防器材压力不足，检查卡未签字。",
    "卫生间有异味，耗材未及时补充。",
]


def _plans(sites: dict[str, Site], lines: dict[str, ServiceLine], contractors):
    """A rotation of inspection kinds that a supervision department runs."""
    by_short = {c.short_name: c for c in contractors}
    return [
        (
            Plan(Scope.STRIP, sites["B1-F1-LOBBY"], service_line=lines["CLN"]),
            Tier.DAILY,
            Schedule.SCHEDULED,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.STRIP, sites["CANTEEN-KIT"], service_line=lines["CAT"]),
            Tier.DAILY,
            Schedule.SCHEDULED,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.STRIP, sites["GATE"], service_line=lines["SEC"]),
            Tier.DAILY,
            Schedule.SPOT,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.BLOCK, sites["CANTEEN"], contractor=by_short["禾香餐饮"]),
            Tier.MONTHLY,
            Schedule.SCHEDULED,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.STRIP, sites["FIRE-CTRL"], service_line=lines["FIR"]),
            Tier.WEEKLY_JOINT,
            Schedule.SCHEDULED,
            Party.EXTERNAL,
        ),
        (
            Plan(Scope.STRIP, sites["B1-ROOF"], service_line=lines["ELV"]),
            Tier.AD_HOC,
            Schedule.SPOT,
            Party.EXTERNAL,
        ),
        (Plan(Scope.BLOCK, sites["B2"]), Tier.WEEKLY_JOINT, Schedule.SCHEDULED, Party.INTERNAL),
        (
            Plan(Scope.STRIP, sites["GARDEN"], service_line=lines["GRN"]),
            Tier.DAILY,
            Schedule.SCHEDULED,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.BLOCK, sites["HQ"], contractor=by_short["安泰物业"]),
            Tier.HALF_YEARLY,
            Schedule.SCHEDULED,
            Party.INTERNAL,
        ),
        (
            Plan(Scope.STRIP, sites["B1-F3-CONF"], service_line=lines["CNF"]),
            Tier.AD_HOC,
            Schedule.SPOT,
            Party.INTERNAL,
        ),
    ]


def seed_inspections(sites, lines, contractors: list[Contractor], users: dict[str, User]):
    """Submitted inspections over the last two months, and two drafts in progress today."""
    rng = random.Random(2026)
    plans = _plans(sites, lines, contractors)
    today = local_today()
    inspectors = [users["inspector"], users["inspector2"]]
    # From the first day of the month before last: two full past months and this one so far.
    first = today.replace(day=1)
    first = (first - timedelta(days=1)).replace(day=1)
    first = (first - timedelta(days=1)).replace(day=1)
    day, turn, photo_seed = first, 0, 0
    while day < today:
        if day.weekday() < 5:
            for _ in range(rng.choice((1, 1, 2))):
                plan, tier, schedule, party = plans[turn % len(plans)]
                lead = inspectors[turn % 2]
                joint = [inspectors[(turn + 1) % 2]] if tier != Tier.DAILY else []
                started = datetime.combine(
                    day, time(rng.randrange(8, 16), rng.randrange(60)), LOCAL_TZ
                ).astimezone(UTC)
                photo_seed = _run_one(
                    rng, plan, lead, joint, tier, schedule, party, started, photo_seed
                )
                turn += 1
        day += timedelta(days=1)
    for lead, (plan, tier, schedule, party) in zip(inspectors, plans[:2], strict=True):
        draft = start_inspection(plan, lead, schedule=schedule, party=party, tier=tier)
        for item in draft.items[: len(draft.items) // 2]:
            record_answer(item, Answer.PASS, lead)
    db.session.commit()


def _run_one(rng, plan, lead, joint, tier, schedule, party, started, photo_seed) -> int:
    try:
        with clock_at(started):
            inspection = start_inspection(
                plan, lead, schedule=schedule, party=party, tier=tier, co_inspectors=joint
            )
    except Refused:
        return photo_seed
    inspection.started_at = started
    minute = started
    for item in inspection.items:
        minute += timedelta(minutes=rng.randrange(1, 4))
        roll = rng.random()
        answer = (
            Answer.FAIL if roll < 0.035 else Answer.NOT_APPLICABLE if roll < 0.08 else Answer.PASS
        )
        record_answer(item, answer, lead, answered_at=minute)
        if answer == Answer.FAIL:
            record_note(item, rng.choice(NOTES), lead)
            if item.needs_photo or rng.random() < 0.6:
                photo_seed += 1
                attach_photo(
                    item,
                    factories.photo(photo_seed),
                    lead,
                    taken_at=minute,
                    latitude=factories.COMPOUND_LOCATION[0] + rng.uniform(-0.001, 0.001),
                    longitude=factories.COMPOUND_LOCATION[1] + rng.uniform(-0.001, 0.001),
                    accuracy_m=15,
                )
    with clock_at(minute + timedelta(minutes=5)):
        submit(inspection, lead, "本次检查总体情况良好，发现问题已现场告知。")
    inspection.ended_at = minute + timedelta(minutes=5)
    return photo_seed


def seed_self_check(sites, contractors: dict[str, Contractor], users: dict[str, User]) -> None:
    """安泰物业's own check of the lobby this morning: one failure it reported itself."""
    own = users["contractor"]
    inspection = start_inspection(
        Plan(Scope.BLOCK, sites["B1-F1-LOBBY"], contractor=contractors["安泰物业"]),
        own,
        schedule=Schedule.SPOT,
        party=Party.INTERNAL,
        tier=Tier.AD_HOC,
    )
    inspection.self_check = True
    for index, item in enumerate(inspection.items):
        if index == 0:
            record_answer(item, Answer.FAIL, own)
            record_note(item, "入口地垫卷边，已当场更换。", own)
        else:
            record_answer(item, Answer.PASS, own)
    submit(inspection, own, "每日自查，发现问题已当场整改。")


def seed_external_check(sites, lines, users: dict[str, User]) -> None:
    """The health authority's visit to the kitchen last week, its record attached as a PDF."""
    from weasyprint import HTML

    manager = users["manager"]
    inspection = start_external(
        Plan(Scope.STRIP, sites["CANTEEN-KIT"], service_line=lines["CAT"]),
        manager,
        ExternalBody.HEALTH,
        "市卫生健康委员会 卫生监督所",
    )
    record = HTML(
        string="<h1>卫生监督检查记录</h1><p>机关食堂后厨：留样记录不全，要求整改。</p>"
    ).write_pdf()
    attach_document(inspection, record, "卫生监督检查记录.pdf", manager)
    for index, item in enumerate(inspection.items):
        if index == 1:
            record_answer(item, Answer.FAIL, manager)
            record_note(item, "卫生监督所检查发现：留样记录缺少两餐次。", manager)
            attach_photo(item, factories.photo(999), manager)
        else:
            record_answer(item, Answer.NOT_APPLICABLE if index % 3 else Answer.PASS, manager)
    submit(inspection, manager, "卫生监督所例行检查。")
