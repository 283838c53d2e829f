"""Demo satisfaction rates, bonus points and the published bulletins of the past two months."""

import random
from decimal import Decimal

import sqlalchemy as sa

from app.assessments.bulletins import get_or_create, publish
from app.assessments.models import BonusEntry, BonusKind, SatisfactionEntry
from app.catalog.models import Contractor
from app.core.extensions import db
from app.core.timeutil import month_of, shift_month, utcnow

BONUSES = [
    (BonusKind.INNOVATION, "推行“互联网+”报修，平均响应时间缩短一半"),
    (BonusKind.PRAISE, "收到机关干部书面表扬信"),
    (BonusKind.GOOD_PRACTICE, "5S定置管理经验在全局推广"),
]
PROSE = {
    "summary": "本月各承包单位服务运行总体平稳，监管科按计划开展日常巡检、每周联检和月度考核，"
    "对发现的问题及时下发整改通知书并跟踪复查。",
    "praise": "对表现突出的单位予以通报表扬，其做法请各单位学习借鉴。",
    "criticism": "对得分较低的单位提出通报批评，请主要负责人高度重视，逐项落实整改。",
    "measures": "一、各单位对照本月问题清单举一反三开展自查；"
    "二、食品安全和消防安全问题须在规定时限内整改到位；"
    "三、下月联检将重点复查本月逾期未整改事项。",
}


def seed_assessments(users) -> None:
    rng = random.Random(11)
    manager = users["manager"]
    this_month = month_of(utcnow())
    months = [shift_month(this_month, -2), shift_month(this_month, -1), this_month]
    contractors = db.session.scalars(sa.select(Contractor).order_by(Contractor.id)).all()
    for month in months:
        for contractor in contractors:
            rate = Decimal(str(round(rng.uniform(86, 99), 1)))
            db.session.add(
                SatisfactionEntry(
                    month=month,
                    contractor_id=contractor.id,
                    rate=rate,
                    respondents=rng.randrange(40, 160),
                    entered_by_id=manager.id,
                )
            )
        for kind, reason in rng.sample(BONUSES, 2):
            contractor = rng.choice(contractors)
            db.session.add(
                BonusEntry(
                    month=month,
                    contractor_id=contractor.id,
                    service_line_id=contractor.service_lines[0].id,
                    kind=kind,
                    points=Decimal(rng.choice(("1", "1.5", "2"))),
                    reason=reason,
                    created_by_id=manager.id,
                )
            )
    db.session.flush()
    for month in months[:2]:
        bulletin = get_or_create(month)
        for name, text in PROSE.items():
            setattr(bulletin, name, text)
        publish(bulletin, manager)
    draft = get_or_create(this_month)
    draft.summary = "（本月通报草稿，月底前完善。）"
