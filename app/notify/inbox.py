"""A user's own inbox and e-mail choices, as the pages change them: each action writes and
commits."""

import sqlalchemy as sa

from app.auth.models import User
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.notify.models import EMAIL_CHOICE_KINDS, EmailChoice, Notification


def mark_notification_read(notification: Notification) -> None:
    notification.read_at = notification.read_at or utcnow()
    db.session.commit()


def mark_everything_read(user: User) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


def save_email_choices(user: User, email: str | None, wanted: set[str]) -> None:
    """The user's address, and which kinds of event also come by e-mail (`wanted`, by value;
    any other value is ignored)."""
    user.email = (email or "").strip()
    for kind in EMAIL_CHOICE_KINDS:
        choice = db.session.get(EmailChoice, (user.id, kind)) or EmailChoice(
            user_id=user.id, kind=kind
        )
        choice.wanted = kind.value in wanted
        db.session.add(choice)
    db.session.commit()
