"""What runs on a clock without cron: escalation, deadline reminders, missed plan visits,
expiring certificates and forgetting old public visits. Each job is claimed before it runs
(one row per job, taken by an atomic update), so two workers never run the same job at once;
each is safe to run again."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.catalog.models import Certificate
from app.catalog.staff import certificates_query
from app.core.extensions import db
from app.core.timeutil import as_utc, local_today, utcnow
from app.jobs.models import ClockJob
from app.notices.deadlines import notice_policy
from app.notices.documents import keep_warnings
from app.notices.lifecycle import escalate
from app.notices.models import Notice, NoticeStatus
from app.notify.events import announce, contractor_users, managers
from app.notify.models import EventKind
from app.plans.models import VisitState
from app.plans.tracking import visits_between
from app.web.guard import forget_old_visits
from app.web.links import path_for

LEASE = timedelta(minutes=10)
MISSED_LOOK_BACK_DAYS = 7


@dataclass
class Job:
    name: str
    every: timedelta
    run: Callable[[datetime], str]


def escalation(now: datetime) -> str:
    marked, warnings = escalate(now)
    keep_warnings(warnings)
    return f"{len(marked)} overdue, {len(warnings)} warnings"


def deadline_reminders(now: datetime) -> str:
    """Tell the contractor once per deadline when it is near (policy: hours before)."""
    ahead = timedelta(hours=notice_policy().reminder_hours)
    told = 0
    for notice in db.session.scalars(
        sa.select(Notice)
        .where(Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)))
        .options(selectinload(Notice.items))
    ):
        deadline = notice.next_deadline()
        if deadline is None or not now < deadline <= now + ahead:
            continue
        event = announce(
            EventKind.DEADLINE_NEAR,
            {
                "number": notice.number,
                "deadline": deadline.isoformat(),
                "n": len(notice.due_items()),
            },
            path_for("notices.notice", notice_id=notice.id),
            users=contractor_users(notice.contractor_id),
            robots_of=[notice.contractor_id],
            about=notice,
            key=f"deadline_near:{notice.id}:{deadline.isoformat()}",
        )
        told += event is not None
    return f"{told} reminders"


def missed_visits(now: datetime) -> str:
    """Tell a plan's inspectors and the managers of each visit missed lately, once."""
    today = local_today()
    start = today - timedelta(days=MISSED_LOOK_BACK_DAYS)
    told = 0
    supervisors = managers()
    for visit in visits_between(start, today, today):
        if visit.state != VisitState.MISSED:
            continue
        place = visit.site.path if visit.site else visit.plan.name
        event = announce(
            EventKind.VISIT_MISSED,
            {"plan": visit.plan.name, "due": visit.due.isoformat(), "place": place},
            path_for("plans.missed"),
            users=[*visit.plan.inspectors, *supervisors],
            robots_of=[None],
            key=f"visit_missed:{visit.plan.id}:{visit.due}:{visit.site.id if visit.site else 0}",
        )
        told += event is not None
    return f"{told} missed visits"


def expiring_certificates(now: datetime) -> str:
    """Tell each contractor once of a certificate expiring within the warning days."""
    horizon = local_today() + timedelta(days=current_app.config["CERTIFICATE_WARNING_DAYS"])
    told = 0
    for certificate in db.session.scalars(
        certificates_query().where(
            Certificate.expires_on <= horizon, Certificate.expires_on >= local_today()
        )
    ):
        staff = certificate.staff_member
        event = announce(
            EventKind.CERTIFICATE_EXPIRING,
            {
                "kind": certificate.kind,
                "staff": staff.name,
                "contractor": staff.contractor.short_name,
                "date": certificate.expires_on.isoformat(),
            },
            path_for("catalog.contractor", contractor_id=staff.contractor_id) + "#staff",
            users=contractor_users(staff.contractor_id),
            robots_of=[staff.contractor_id],
            key=f"certificate_expiring:{certificate.id}:{certificate.expires_on}",
        )
        told += event is not None
    return f"{told} certificates"


def public_visits(now: datetime) -> str:
    return f"{forget_old_visits(as_utc(now))} public visits forgotten"


JOBS = [
    Job("escalation", timedelta(minutes=5), escalation),
    Job("deadline_reminders", timedelta(minutes=5), deadline_reminders),
    Job("missed_visits", timedelta(hours=1), missed_visits),
    Job("expiring_certificates", timedelta(hours=6), expiring_certificates),
    Job("public_visits", timedelta(hours=1), public_visits),
]


def run_due_jobs(now: datetime | None = None) -> dict[str, str]:
    """Run every job whose time has come and that no other worker holds; commit each."""
    now = now or utcnow()
    results = {}
    for job in JOBS:
        if _claim(job, now):
            try:
                results[job.name] = job.run(now)
            except Exception:
                db.session.rollback()
                _release(job, now, "failed")
                raise
            _release(job, now, results[job.name])
    return results


def _claim(job: Job, now: datetime) -> bool:
    if db.session.get(ClockJob, job.name) is None:
        db.session.add(ClockJob(name=job.name, next_run_at=now))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
    taken = db.session.execute(
        sa.update(ClockJob)
        .where(
            ClockJob.name == job.name,
            ClockJob.next_run_at <= now,
            sa.or_(ClockJob.running_until.is_(None), ClockJob.running_until < now),
        )
        .values(running_until=now + LEASE)
    ).rowcount
    db.session.commit()
    return taken == 1


def _release(job: Job, now: datetime, result: str) -> None:
    clock = db.session.get(ClockJob, job.name)
    clock.running_until = None
    clock.last_run_at = now
    clock.last_result = result
    clock.next_run_at = as_utc(now) + job.every
    db.session.commit()
