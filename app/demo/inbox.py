"""The demo's inboxes: the history made every user many messages; the latest few stay unread."""

import sqlalchemy as sa

from app.core.extensions import db
from app.core.timeutil import utcnow
from app.notify.models import Notification

UNREAD = 3


def seed_inbox() -> None:
    """Mark all but each user's latest few notifications read."""
    latest = (
        sa.select(
            Notification.id,
            sa.func.row_number()
            .over(partition_by=Notification.user_id, order_by=Notification.id.desc())
            .label("newest"),
        )
    ).subquery()
    older = sa.select(latest.c.id).where(latest.c.newest > UNREAD)
    db.session.execute(
        sa.update(Notification).where(Notification.id.in_(older)).values(read_at=utcnow())
    )
