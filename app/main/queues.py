"""What waits for each role: the home page's queue and the navigation's badges."""

import operator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, reduce

import sqlalchemy as sa
from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.auth.throttle import locked_active_accounts, locked_active_count
from app.catalog.contractors import active_contractors
from app.catalog.models import Certificate, Contractor
from app.catalog.staff import certificate_alerts, certificates_query
from app.core.extensions import db
from app.core.timeutil import local_today, utcnow
from app.feedback.models import Complaint, ComplaintStatus
from app.inspections.models import Inspection, Status
from app.main.access import (
    own_company_id,
    watches_accounts,
    watches_contracts,
    works_for_the_bureau,
)
from app.notices.access import oversees_notices, receives_notices, visible_notices, visible_warnings
from app.notices.models import ExitWarning, ItemStatus, Notice, NoticeItem, NoticeStatus
from app.plans.models import VisitState
from app.plans.tracking import Visit, open_occurrences, open_visits, visits_due_count

CONTRACT_END_WARNING_DAYS = 90
OPEN_VISIT = (VisitState.DUE, VisitState.IN_PROGRESS)
OPEN_NOTICE = (NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)
NOTICE_TIME = NoticeItem.deadline.type


@dataclass(frozen=True)
class Badges:
    """The numbers the navigation shows (the fourth column of its entries): what the queue
    holds, counted."""

    total: int = 0
    drafts: int = 0
    visits_due: int = 0
    notices_waiting: int = 0
    complaints_open: int = 0
    expired_certificates: int = 0
    locked_users: int = 0


@dataclass
class Queue:
    expired_certificates: list[Certificate] = field(default_factory=list)
    expiring_certificates: list[Certificate] = field(default_factory=list)
    contracts_ending: list[Contractor] = field(default_factory=list)
    contracts_for_retender: list[Contractor] = field(default_factory=list)
    locked_users: list[User] = field(default_factory=list)
    drafts: list[Inspection] = field(default_factory=list)
    to_acknowledge: list[Notice] = field(default_factory=list)
    to_fix: list[Notice] = field(default_factory=list)
    to_verify: list[Notice] = field(default_factory=list)
    overdue: list[Notice] = field(default_factory=list)
    draft_notices: list[Notice] = field(default_factory=list)
    warnings: list[ExitWarning] = field(default_factory=list)
    planned: list[Visit] = field(default_factory=list)  # today's route, done stops included
    complaints_open: int = 0

    @property
    def visits_due(self) -> int:
        return sum(1 for visit in self.planned if visit.state in OPEN_VISIT)

    @property
    def notices_waiting(self) -> int:
        return (
            len(self.to_acknowledge)
            + len(self.to_fix)
            + len(self.to_verify)
            + len(self.overdue)
            + len(self.draft_notices)
        )

    @property
    def total(self) -> int:
        return (
            len(self.expired_certificates)
            + len(self.contracts_ending)
            + len(self.contracts_for_retender)
            + len(self.locked_users)
        )

    def badges(self) -> Badges:
        return Badges(
            total=self.total,
            drafts=len(self.drafts),
            visits_due=self.visits_due,
            notices_waiting=self.notices_waiting,
            complaints_open=self.complaints_open,
            expired_certificates=len(self.expired_certificates),
            locked_users=len(self.locked_users),
        )


def current_queue() -> Queue:
    """The signed-in user's queue, worked out once per request (page and navigation share it)."""
    if "queue" not in g:
        g.queue = queue_for(current_user)
    return g.queue


def current_badges() -> Badges:
    """The navigation's numbers: the queue's if the page built it (the home page), else
    counted, so that no other page builds the queue for its badges."""
    if "queue" in g:
        return g.queue.badges()
    return badge_counts(current_user)


def queue_for(user: User) -> Queue:
    """Collect what the user's role must act on today."""
    today = local_today()
    warning_days = current_app.config["CERTIFICATE_WARNING_DAYS"]
    queue = Queue()
    alerts = certificate_alerts(today, warning_days, contractor_id=own_company_id(user))
    queue.expired_certificates = alerts.expired
    queue.expiring_certificates = alerts.expiring
    if watches_contracts(user):
        contractors = active_contractors()
        queue.contracts_ending = [
            c for c in contractors if c.contract_ends_within(today, CONTRACT_END_WARNING_DAYS)
        ]
        queue.contracts_for_retender = [c for c in contractors if c.due_for_retender(today)]
    queue.drafts = list(
        db.session.scalars(
            sa.select(Inspection)
            .where(*_own_drafts(user))
            .options(selectinload(Inspection.sites), selectinload(Inspection.contractors))
            .order_by(Inspection.started_at.desc())
        )
    )
    if works_for_the_bureau(user):
        queue.planned = open_visits(user, today)
        queue.complaints_open = db.session.scalar(
            sa.select(sa.func.count(Complaint.id)).where(_open_complaints())
        )
    _notice_queue(queue, user)
    queue.locked_users = locked_active_accounts() if watches_accounts(user) else []
    return queue


def badge_counts(user: User) -> Badges:
    """The navigation's numbers as `queue_for` finds them, counted in one statement, on the
    same conditions (two for the bureau's people: which of their plans' visits are open is
    worked out from the plans in Python). An administrator's locked accounts are found as
    the queue finds them."""
    today = local_today()
    occurrences = open_occurrences(user, today) if works_for_the_bureau(user) else None
    statement = _badge_statement(user.id, user.role, user.contractor_id, today, occurrences)
    found = db.session.execute(statement, {"now": utcnow()}).one()._asdict()
    locked = locked_active_count() if watches_accounts(user) else 0
    total = found["expired_certificates"] + found.pop("contracts", 0) + locked
    return Badges(total=total, locked_users=locked, **found)


@lru_cache(maxsize=256)
def _badge_statement(
    user_id: int, role: Role, contractor_id: int | None, today: date, occurrences
) -> sa.Select:
    """`badge_counts`'s statement, built once for each user, day and set of open visits and
    kept: building it costs several times what running it does, on every page. The time
    that decides which notices are overdue is its parameter `now`."""
    user = User(id=user_id, role=role, contractor_id=contractor_id)  # all the counts read
    expired = certificates_query(contractor_id=own_company_id(user)).where(
        Certificate.expires_on < today
    )
    counts = {
        "expired_certificates": _how_many(expired),
        "drafts": sa.select(sa.func.count(Inspection.id)).where(*_own_drafts(user)),
        "notices_waiting": _notices_waiting(user, sa.bindparam("now", type_=NOTICE_TIME)),
    }
    if watches_contracts(user):
        ending = Contractor.contract_ending_within(today, CONTRACT_END_WARNING_DAYS)
        counts["contracts"] = sa.select(
            sa.func.count().filter(ending)
            + sa.func.count().filter(Contractor.due_for_retender_on(today))
        ).where(Contractor.active.is_(True))
    if occurrences is not None:
        counts["visits_due"] = visits_due_count(occurrences)
        counts["complaints_open"] = sa.select(sa.func.count(Complaint.id)).where(_open_complaints())
    return sa.select(*(_scalar(count).label(name) for name, count in counts.items()))


def _how_many(query: sa.Select) -> sa.Select:
    """The number of rows `query` selects."""
    return sa.select(sa.func.count()).select_from(query.order_by(None).subquery())


def _scalar(count):
    return count.scalar_subquery() if isinstance(count, sa.Select) else count


def _own_drafts(user: User) -> tuple:
    """The conditions on Inspection for the user's unfinished checks."""
    return Inspection.status == Status.DRAFT, Inspection.inspectors.any(User.id == user.id)


def _open_complaints():
    """The condition on Complaint for those still waiting for the bureau."""
    return Complaint.status.in_((ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED))


WARNINGS_SHOWN_DAYS = 90


def _notice_queue(queue: Queue, user: User) -> None:
    """Contractors: notices to acknowledge and to fix. Supervisors: fixes to verify.
    Managers: also overdue notices, drafts to issue and recent exit warnings."""
    now = utcnow()
    query = (
        sa.select(Notice)
        .where(_notices_in_queue(user))
        .options(selectinload(Notice.items), selectinload(Notice.contractor))
        .order_by(Notice.deadline)
    )
    if receives_notices(user):
        mine = list(db.session.scalars(query))
        queue.to_acknowledge = [n for n in mine if n.status == NoticeStatus.ISSUED]
        queue.to_fix = [n for n in mine if n.status == NoticeStatus.ACKNOWLEDGED and n.due_items()]
        queue.warnings = list(
            db.session.scalars(
                sa.select(ExitWarning).where(
                    visible_warnings(user),
                    ExitWarning.issued_at >= now - timedelta(days=WARNINGS_SHOWN_DAYS),
                )
            )
        )
        return
    notices = list(db.session.scalars(query))
    open_notices = [n for n in notices if n.is_open]
    queue.to_verify = [
        n for n in open_notices if any(i.status == ItemStatus.FIX_REPORTED for i in n.items)
    ]
    if oversees_notices(user):
        queue.overdue = [n for n in open_notices if n.is_overdue(now)]
        queue.draft_notices = sorted(
            (n for n in notices if n.status == NoticeStatus.DRAFT), key=lambda n: n.id
        )
        queue.warnings = list(
            db.session.scalars(
                sa.select(ExitWarning)
                .where(
                    visible_warnings(user),
                    ExitWarning.issued_at >= now - timedelta(days=WARNINGS_SHOWN_DAYS),
                )
                .options(selectinload(ExitWarning.contractor))
                .order_by(ExitWarning.issued_at.desc())
            )
        )


def _notices_in_queue(user: User):
    """The condition on Notice for those the user's queue looks through: the open ones the
    user sees, and for managers the drafts too (they come in the same statement, with their
    items: the home page shows each draft's deadline)."""
    states = (*OPEN_NOTICE, NoticeStatus.DRAFT) if oversees_notices(user) else OPEN_NOTICE
    return sa.and_(Notice.status.in_(states), visible_notices(user))


def _notices_waiting(user: User, now):
    """SQL for the queue's `notices_waiting`: its notices to acknowledge, to fix, to verify,
    overdue and drafts, counted each as `_notice_queue` sorts them (a notice both to verify
    and overdue counts twice, as the queue lists it twice)."""
    if receives_notices(user):
        waiting = [
            Notice.status == NoticeStatus.ISSUED,
            sa.and_(
                Notice.status == NoticeStatus.ACKNOWLEDGED,
                Notice.items.any(NoticeItem.status == ItemStatus.OPEN),
            ),
        ]
    else:
        waiting = [
            sa.and_(
                Notice.status.in_(OPEN_NOTICE),
                Notice.items.any(NoticeItem.status == ItemStatus.FIX_REPORTED),
            )
        ]
        if oversees_notices(user):
            waiting += [Notice.overdue_at_time(now), Notice.status == NoticeStatus.DRAFT]
    counted = reduce(operator.add, (sa.func.count().filter(state) for state in waiting))
    return sa.select(counted).where(_notices_in_queue(user))
