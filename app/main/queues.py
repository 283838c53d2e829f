"""What waits for each role: the home page's queue and the navigation's badges."""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.throttle import is_account_locked
from app.catalog.contractors import active_contractors
from app.catalog.models import Certificate, Contractor
from app.catalog.staff import certificate_alerts
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
from app.notices.models import ExitWarning, ItemStatus, Notice, NoticeStatus
from app.plans.models import VisitState
from app.plans.tracking import Visit, open_visits

CONTRACT_END_WARNING_DAYS = 90
OPEN_VISIT = (VisitState.DUE, VisitState.IN_PROGRESS)


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


def current_queue() -> Queue:
    """The signed-in user's queue, worked out once per request (page and navigation share it)."""
    if "queue" not in g:
        g.queue = queue_for(current_user)
    return g.queue


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
            .where(
                Inspection.status == Status.DRAFT,
                Inspection.inspectors.any(User.id == user.id),
            )
            .options(selectinload(Inspection.sites), selectinload(Inspection.contractors))
            .order_by(Inspection.started_at.desc())
        )
    )
    if works_for_the_bureau(user):
        queue.planned = open_visits(user, today)
        queue.complaints_open = db.session.scalar(
            sa.select(sa.func.count(Complaint.id)).where(
                Complaint.status.in_((ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED))
            )
        )
    _notice_queue(queue, user)
    if watches_accounts(user):
        users = db.session.scalars(sa.select(User).where(User.active.is_(True))).all()
        queue.locked_users = [u for u in users if is_account_locked(u.username)]
    return queue


WARNINGS_SHOWN_DAYS = 90


def _notice_queue(queue: Queue, user: User) -> None:
    """Contractors: notices to acknowledge and to fix. Supervisors: fixes to verify.
    Managers: also overdue notices, drafts to issue and recent exit warnings."""
    now = utcnow()
    open_states = (NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)
    # managers' drafts come in the same statements as the open notices, with their items
    # (the home page shows each draft's deadline)
    states = (*open_states, NoticeStatus.DRAFT) if oversees_notices(user) else open_states
    query = (
        sa.select(Notice)
        .where(Notice.status.in_(states), visible_notices(user))
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
    open_notices = [n for n in notices if n.status in open_states]
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
