"""Who hears of what: events, each user's inbox, the outbox of e-mails, robot messages and
messages to a person in their app, with every attempt to send them, group robots, each
user's choices, and the worker's clock."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import LabelledEnum, db, enum_type
from app.core.timeutil import utcnow
from app.identity.models import Provider


class EventKind(LabelledEnum):
    NOTICE_ISSUED = "notice_issued"
    DEADLINE_NEAR = "deadline_near"
    NOTICE_OVERDUE = "notice_overdue"
    FIX_REPORTED = "fix_reported"
    FIX_REJECTED = "fix_rejected"
    EXIT_WARNING = "exit_warning"
    COMPLAINT_RECEIVED = "complaint_received"
    VISIT_MISSED = "visit_missed"
    BULLETIN_PUBLISHED = "bulletin_published"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    INVITATION = "invitation"


EventKind.LABELS = {
    EventKind.NOTICE_ISSUED: _l("A notice is issued to your company"),
    EventKind.DEADLINE_NEAR: _l("A notice's deadline is near"),
    EventKind.NOTICE_OVERDUE: _l("A notice is overdue"),
    EventKind.FIX_REPORTED: _l("A fix waits for verification"),
    EventKind.FIX_REJECTED: _l("A fix is sent back"),
    EventKind.EXIT_WARNING: _l("A written exit warning"),
    EventKind.COMPLAINT_RECEIVED: _l("A complaint is received"),
    EventKind.VISIT_MISSED: _l("A planned visit is missed"),
    EventKind.BULLETIN_PUBLISHED: _l("The monthly bulletin is published"),
    EventKind.CERTIFICATE_EXPIRING: _l("A staff certificate is about to expire"),
    EventKind.INVITATION: _l("An invitation to set your password"),
}
# What a user may choose to have by e-mail or not; an invitation reaches them before they can.
EMAIL_CHOICE_KINDS = tuple(kind for kind in EventKind if kind != EventKind.INVITATION)


class Channel(LabelledEnum):
    EMAIL = "email"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    WECOM_APP = "wecom_app"
    DINGTALK_APP = "dingtalk_app"
    FEISHU_APP = "feishu_app"


Channel.LABELS = {
    Channel.EMAIL: _l("E-mail"),
    Channel.WECOM: _l("WeCom group robot"),
    Channel.DINGTALK: _l("DingTalk group robot"),
    Channel.FEISHU: _l("Feishu group robot"),
    Channel.WECOM_APP: _l("WeCom app message"),
    Channel.DINGTALK_APP: _l("DingTalk work notice"),
    Channel.FEISHU_APP: _l("Feishu bot message"),
}
ROBOT_SERVICES = (Channel.WECOM, Channel.DINGTALK, Channel.FEISHU)
# A message to one person in the app they linked: the app's own id for them is the address.
PERSONAL_CHANNELS = {
    Provider.WECOM: Channel.WECOM_APP,
    Provider.DINGTALK: Channel.DINGTALK_APP,
    Provider.FEISHU: Channel.FEISHU_APP,
}


class DeliveryStatus(LabelledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


DeliveryStatus.LABELS = {
    DeliveryStatus.PENDING: _l("Waiting to be sent"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.FAILED: _l("Failed"),
}


class Event(db.Model):
    """Something people must hear of. Its words are made from `params` when shown or sent, in
    the reader's language; `key` keeps a clock-found event (a deadline near) from repeating."""

    __tablename__ = "notify_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind), nullable=False)
    params: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    object_type: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    key: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, unique=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )

    __table_args__ = (sa.Index("ix_notify_events_object", "object_type", "object_id"),)


class Notification(db.Model):
    """One user's inbox entry for an event."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notify_events.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)

    event: Mapped[Event] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.UniqueConstraint("event_id", "user_id"),
    )


class Robot(db.Model):
    """A group robot (企业微信, 钉钉, 飞书): one a contractor's group, or (no contractor) the
    supervision team's. The webhook address and the signing secret are secrets: never shown
    whole after saving, never logged. A removed robot stays, inactive, as the group its
    messages went to."""

    __tablename__ = "robots"

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id", ondelete="CASCADE"), nullable=True, index=True
    )
    service: Mapped[Channel] = mapped_column(enum_type(Channel), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    webhook: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    secret: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    contractor = relationship("Contractor")

    @property
    def webhook_hint(self) -> str:
        """Enough of the address to tell robots apart: its host and the secret's last four."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.webhook)
        return f"{parts.scheme}://{parts.netloc}/…{self.webhook[-4:]}"

    def remove(self) -> None:
        """Send it nothing more and forget its secrets; what it was sent is proof of notice
        and stays, with the robot as the group it went to."""
        self.active = False
        self.webhook = self.secret = ""


class Delivery(db.Model):
    """An e-mail or an app message to a user, or a message to a robot, written in the same
    transaction as the change that causes it; the worker sends it, retrying with pauses for a
    day. `address` is where it goes: the e-mail address, or the person's id in the app."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notify_events.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel: Mapped[Channel] = mapped_column(enum_type(Channel), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    robot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("robots.id", ondelete="CASCADE"), nullable=True, index=True
    )
    address: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus), nullable=False, default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    next_attempt_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    claimed_until: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )
    claimed_by: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    event: Mapped[Event] = relationship()
    user = relationship("User")
    robot: Mapped[Robot | None] = relationship()
    tries: Mapped[list["DeliveryAttempt"]] = relationship(
        order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.Index("ix_deliveries_due", "status", "next_attempt_at"),)


class DeliveryAttempt(db.Model):
    """One try at sending: when, and what came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    robot_id: Mapped[int | None] = mapped_column(nullable=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    ok: Mapped[bool] = mapped_column(nullable=False)
    error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    __table_args__ = (sa.Index("ix_delivery_attempts_robot_at", "robot_id", "at"),)


class EmailChoice(db.Model):
    """A user's choice to have (or not) e-mails of one kind of event; without a row, yes."""

    __tablename__ = "email_choices"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind), primary_key=True)
    wanted: Mapped[bool] = mapped_column(nullable=False)
