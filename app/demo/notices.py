"""Demo notices in every state: closed, rejected and redone, overdue, warned, fresh drafts."""

import random
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import Role, User
from app.core.extensions import db
from app.core.timeutil import as_utc, utcnow
from app.demo import factories
from app.inspections.models import Inspection, Status
from app.notices.lifecycle import (
    accept_fix,
    acknowledge,
    draft_notices,
    escalate,
    issue,
    record_unsigned_service,
    reject_fix,
    report_fix,
)
from app.notices.models import ReceiptWay

FIX_NOTES = [
    "已按标准整改完毕，附整改后照片。",
    "已重新清理并加强巡查频次。",
    "已补齐台账记录，责任人已培训。",
    "已更换损坏部件，恢复正常使用。",
]


def seed_notices(users: dict[str, User]) -> None:
    """Walk each demo inspection's notices as far as its age and a fixed dice allow."""
    rng = random.Random(7)
    now = utcnow()
    inspector = users["inspector"]
    contractor_users = {u.contractor_id: u for u in users.values() if u.role == Role.CONTRACTOR}
    inspections = db.session.scalars(
        sa.select(Inspection)
        .where(Inspection.status == Status.SUBMITTED)
        .order_by(Inspection.ended_at)
    ).all()
    photo_seed = 10_000
    rank = -1  # notices counted from the newest
    for inspection in reversed(inspections):
        ended = as_utc(inspection.ended_at)
        for notice in draft_notices(inspection, inspector, now=ended + timedelta(minutes=30)):
            rank += 1
            if rank < 2:
                continue  # the newest stay drafts, waiting to be reviewed
            moment = ended + timedelta(hours=1)
            issue(notice, inspector, now=moment)
            owner = contractor_users[notice.contractor_id]
            if rank == 2:
                continue  # not yet acknowledged
            moment += timedelta(hours=rng.randrange(1, 6))
            if moment >= now:
                continue
            if rank == 7:
                photo_seed += 1
                record_unsigned_service(
                    notice,
                    inspector,
                    ReceiptWay.REFUSED,
                    "物业服务中心 值班员 刘洋",
                    factories.photo(photo_seed),
                    "项目经理不在，现场负责人拒绝签字。",
                    now=moment,
                )
                continue
            signature = factories.signature(rank) if rank % 3 else None
            acknowledge(notice, owner, now=moment, signature=signature)
            if rank in (3, 11):
                continue  # acknowledged, nothing done yet
            verify = rank > 5  # the recent fixes still wait for an inspector
            for item in notice.items:
                photo_seed = _fix_item(rng, item, owner, inspector, moment, now, photo_seed, verify)
    escalate(now)
    db.session.flush()


def _fix_item(rng, item, owner, inspector, moment, now, photo_seed, verify):
    """Report and verify one finding's fix, with the occasional rejection, up to now."""
    rejections_wanted = 2 if rng.random() < 0.015 else 1 if rng.random() < 0.15 else 0
    for attempt in range(rejections_wanted + 1):
        moment += timedelta(hours=rng.randrange(2, 30))
        if moment >= now:
            return photo_seed
        photo_seed += 1
        report_fix(item, owner, rng.choice(FIX_NOTES), [factories.photo(photo_seed)], now=moment)
        moment += timedelta(hours=rng.randrange(2, 20))
        if moment >= now or not verify:
            return photo_seed
        if attempt < rejections_wanted:
            reject_fix(
                item,
                inspector,
                "现场复查仍未达标，请彻底整改。",
                moment + timedelta(hours=48),
                now=moment,
            )
        else:
            accept_fix(item, inspector, now=moment)
    return photo_seed
