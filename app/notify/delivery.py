"""The worker's half of the outbox: claim due deliveries, send each, record every attempt.

A claim is a lease (`claimed_until`) taken with SKIP LOCKED on PostgreSQL, so two workers never
hold the same message; a worker killed mid-batch leaves leases that run out, and the messages
are sent by the next pass. Whatever goes wrong in sending one message is that message's
failure: failures wait longer each time and are given up after a day; a robot gets at most its
services' pace (about 20 a minute) and is paused when it asks, but not past that day."""

import logging
import secrets
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.core.audit import record_event
from app.core.extensions import db
from app.core.logs import WORKER_LOG
from app.core.refusals import require
from app.core.timeutil import as_utc, utcnow
from app.notify.channels import (
    IMAGE_BYTES,
    RateLimited,
    SendFailed,
    Unsendable,
    send_email,
    send_personal,
    send_robot,
    send_robot_image,
)
from app.notify.events import Withdrawn, image_for_outside, message_for_outside, shows_image
from app.notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus

BATCH = 50
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=1)
PAUSE_DOUBLINGS = 7  # 30 s doubled seven times is past the longest pause
PACE_WINDOW = timedelta(minutes=1)
ROBOT_REMOVED = "robot removed"
IMAGE_SENT = "the image; its link follows"

log = logging.getLogger(WORKER_LOG)


@dataclass
class Pass:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    paced: int = 0
    failing: set = field(default_factory=set)  # targets that failed in this pass

    @property
    def touched(self) -> int:
        return self.sent + self.retrying + self.failed + self.paced


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])


def claim(now: datetime, token: str, limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due deliveries to this pass (`token`); commit the lease."""
    free = sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    ids = list(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now, free)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(claimed_until=now + _lease(), claimed_by=token)
        )
    db.session.commit()
    return ids


def deliver_due(now: datetime | None = None) -> Pass:
    """Send what is due now; one failing target does not hold up the others."""
    done = Pass()
    token = secrets.token_hex(8)
    for delivery_id in claim(now or utcnow(), token):
        if _still_ours(delivery_id, token):
            deliver(db.session.get(Delivery, delivery_id), done)
    return done


def _still_ours(delivery_id: int, token: str) -> bool:
    """Renew this pass's lease just before sending. A lease that ran out while earlier
    messages of the batch were slow may have gone to another worker: then it is theirs."""
    now = utcnow()
    renewed = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == token,
            Delivery.claimed_until >= now,
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(claimed_until=now + _lease())
    ).rowcount
    db.session.commit()
    return renewed == 1


def deliver(delivery: Delivery, done: Pass) -> None:
    now = utcnow()
    target = _target(delivery)
    if delivery.robot is not None and not delivery.robot.active:
        _record(delivery, now, ok=False, error=ROBOT_REMOVED)
        _give_up(delivery, done)
    elif target in done.failing:
        _wait(delivery, now + FIRST_PAUSE)
        done.retrying += 1
    elif delivery.robot_id and (free_at := _robot_free_at(delivery.robot_id, now)):
        _wait(delivery, free_at)
        done.paced += 1
    else:
        _attempt(delivery, now, target, done)
    delivery.claimed_until = None
    db.session.commit()


def _target(delivery: Delivery) -> tuple:
    """What a failure stops for the rest of the pass: the robot, the mail server, the app."""
    if delivery.robot_id:
        return ("robot", delivery.robot_id)
    return ("smtp",) if delivery.channel == Channel.EMAIL else ("app", delivery.channel)


def _attempt(delivery: Delivery, now: datetime, target: tuple, done: Pass) -> None:
    try:
        note = _send(delivery)
    except Withdrawn as reason:  # an invitation replaced or used before its e-mail went
        _record(delivery, now, ok=False, error=str(reason))
        _give_up(delivery, done)
        return
    except RateLimited as error:
        _record(delivery, now, ok=False, error=str(error))
        if _tried_long_enough(delivery, now):
            _give_up(delivery, done)
        else:
            _wait(delivery, now + PACE_WINDOW)
            done.paced += 1
        return
    except SendFailed as error:
        if not isinstance(error, Unsendable):
            done.failing.add(target)
        _failed(delivery, now, str(error), done)
        return
    except Exception as error:  # a bug or bad data: this message's failure, not the pass's
        db.session.rollback()
        _failed(delivery, now, _logged(delivery, error), done)
        return
    _record(delivery, now, ok=True, note=note)
    delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""
    done.sent += 1
    event = delivery.event
    if event.object_type:
        record_event(
            "message_delivered",
            object_type=event.object_type,
            object_id=event.object_id,
            detail=f"{delivery.channel.value} {_recipient(delivery)}",
            at=now,
        )


def _send(delivery: Delivery) -> str:
    """Send the message; a note on how it went, if there is one to keep."""
    text = message_for_outside(delivery.event)
    db.session.commit()  # what the message needs (an invitation's new link) is kept before it goes
    if delivery.channel == Channel.EMAIL:
        send_email(delivery.address, text)
    elif delivery.robot_id:
        return _send_to_robot(delivery, text)
    else:
        send_personal(delivery.channel, delivery.address, text)
    return ""


def _send_to_robot(delivery: Delivery, text: str) -> str:
    """The event's image first, where the robot's service takes one, then the words and the
    link, which go whatever became of the image; a note if the image did not go."""
    robot, note = delivery.robot, ""
    if robot.service in IMAGE_BYTES and shows_image(delivery.event) and not _image_sent(delivery):
        note = _send_image(delivery)
    send_robot(robot, text)
    return note


def _send_image(delivery: Delivery) -> str:
    """Send the event's image and record it, so a retry sends only what did not go; a note
    if it did not go (too large for the service, refused, never made)."""
    image = image_for_outside(delivery.event)
    if image is None:
        return "no image was made: the link alone"
    try:
        send_robot_image(delivery.robot, image)
    except RateLimited:
        raise
    except SendFailed as error:
        return f"the image did not go ({error}): the link alone"
    _record(delivery, utcnow(), ok=True, note=IMAGE_SENT)
    db.session.commit()
    return ""


def _image_sent(delivery: Delivery) -> bool:
    return any(t.ok and t.error == IMAGE_SENT for t in delivery.tries)


def _failed(delivery: Delivery, now: datetime, error: str, done: Pass) -> None:
    """Record a failed try: wait longer after each, and give up after a day of them."""
    _record(delivery, now, ok=False, error=error)
    delivery.attempts += 1
    if _tried_long_enough(delivery, now):
        _give_up(delivery, done)
    else:
        doublings = min(delivery.attempts - 1, PAUSE_DOUBLINGS)
        _wait(delivery, now + min(FIRST_PAUSE * 2**doublings, LONGEST_PAUSE))
        done.retrying += 1


def _tried_long_enough(delivery: Delivery, now: datetime) -> bool:
    give_up = timedelta(hours=current_app.config["NOTIFY_GIVE_UP_HOURS"])
    return now - as_utc(delivery.created_at) >= give_up


def _give_up(delivery: Delivery, done: Pass) -> None:
    delivery.status = DeliveryStatus.FAILED
    done.failed += 1


def _logged(delivery: Delivery, error: Exception) -> str:
    """Log an unexpected error with its traceback; return it in a line for the record. Neither
    names the robot's webhook address, a secret."""
    webhook = delivery.robot.webhook if delivery.robot is not None else ""

    def hidden(text: str) -> str:
        return text.replace(webhook, "…") if webhook else text

    log.error(
        "message not sent: unexpected error",
        extra={
            "delivery_id": delivery.id,
            "traceback": hidden("".join(traceback.format_exception(error))),
        },
    )
    return hidden(f"{type(error).__name__}: {error}")


def _recipient(delivery: Delivery) -> str:
    if delivery.robot is not None:
        return delivery.robot.name
    return delivery.user.display_name if delivery.user else delivery.address


def _record(delivery: Delivery, now: datetime, ok: bool, error: str = "", note: str = "") -> None:
    """Keep a try: why it failed, or a note on what went."""
    delivery.tries.append(
        DeliveryAttempt(robot_id=delivery.robot_id, at=now, ok=ok, error=(error or note)[:1000])
    )
    if not ok:
        delivery.last_error = error[:1000]


def _wait(delivery: Delivery, until: datetime) -> None:
    delivery.next_attempt_at = until


def _robot_free_at(robot_id: int, now: datetime) -> datetime | None:
    """When the robot may take another message, if its pace is used up this minute."""
    pace = current_app.config["ROBOT_MESSAGES_PER_MINUTE"]
    recent = list(
        db.session.scalars(
            sa.select(DeliveryAttempt.at)
            .where(DeliveryAttempt.robot_id == robot_id, DeliveryAttempt.at > now - PACE_WINDOW)
            .order_by(DeliveryAttempt.at.desc())
            .limit(pace)
        )
    )
    if len(recent) < pace:
        return None
    return as_utc(recent[-1]) + PACE_WINDOW


def send_again(delivery: Delivery) -> None:
    """An administrator puts a failed message back in the outbox, for another day of tries.
    A message that went is proof of notice: it is never sent twice."""
    require(
        delivery.status == DeliveryStatus.FAILED,
        _(
            "Only a failed message can be sent again; this one is “%(status)s”.",
            status=delivery.status.label,
        ),
    )
    require(
        delivery.robot is None or delivery.robot.active,
        _("This message's group robot is removed; it cannot be sent again."),
    )
    now = utcnow()
    delivery.status = DeliveryStatus.PENDING
    delivery.created_at = delivery.next_attempt_at = now
    delivery.attempts = 0
    delivery.claimed_until = None
