"""Telling people: an event becomes an inbox entry for each user who hears of it, an e-mail
and a message in each app they linked (企业微信, 钉钉, 飞书) to those who want them, and a
message to the group robots concerned. All of it is added to the
session of the change that causes it, so a rolled-back change tells nobody anything."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.models import Invitation, User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.files import Kind, read_stored
from app.core.timeutil import LOCAL_TZ, as_utc, utcnow
from app.identity.apps import personal_addresses
from app.notify.access import hears_as_manager
from app.notify.models import (
    PERSONAL_CHANNELS,
    Channel,
    Delivery,
    EmailChoice,
    Event,
    EventKind,
    Notification,
    Robot,
)
from app.web.links import path_for, public_link

SUPERVISION_TEAM = None  # the robots with no contractor are the supervision team's
# The events whose robot messages show an image above the link, and where it is stored: under
# the digest in the event's "image".
IMAGES = {EventKind.BULLETIN_PUBLISHED: Kind.BULLETIN_IMAGE}


def announce(
    kind: EventKind,
    params: dict,
    path: str,
    *,
    users: list[User],
    robots_of: list[int | None] = (),
    about=None,
    key: str | None = None,
) -> Event | None:
    """Tell `users` (inbox; e-mail and their linked apps if they want it) and the robots of
    the contractors in `robots_of` (None: the supervision team's). With a `key` already used,
    nothing happens."""
    if key and db.session.scalar(sa.select(Event.id).where(Event.key == key)):
        return None
    event = Event(
        kind=kind,
        params=params,
        path=path,
        key=key,
        object_type=type(about).__tablename__ if about is not None else None,
        object_id=about.id if about is not None else None,
    )
    db.session.add(event)
    recipients = {user.id: user for user in users if user is not None and user.active}
    email_on = bool(current_app.config.get("SMTP_HOST"))
    in_apps = personal_addresses(list(recipients))
    refused = _refusals(list(recipients), kind) if email_on or in_apps else set()
    for user in recipients.values():
        db.session.add(Notification(event=event, user_id=user.id))
        if user.id in refused:
            continue
        if email_on and user.email:
            db.session.add(
                Delivery(event=event, channel=Channel.EMAIL, user_id=user.id, address=user.email)
            )
        for provider, subject in in_apps.get(user.id, ()):
            channel = PERSONAL_CHANNELS[provider]
            db.session.add(Delivery(event=event, channel=channel, user_id=user.id, address=subject))
    for robot in _robots(robots_of):
        db.session.add(Delivery(event=event, channel=robot.service, robot_id=robot.id))
    if about is not None and recipients:
        names = "、".join(user.display_name for user in recipients.values())
        record_event("message_delivered", about, detail=f"inbox {names}"[:2000])
    return event


def email_invitations(invitations: list[Invitation]) -> None:
    """Queue an e-mail to each invited person who has an address. Its link is made when it is
    sent, so the outbox holds no secret either."""
    if not current_app.config.get("SMTP_HOST"):
        return
    login = path_for("auth.login")
    for invitation in invitations:
        user = invitation.user
        if not user.email:
            continue
        params = {
            "name": user.display_name,
            "username": user.username,
            "expires": as_utc(invitation.expires_at).isoformat(),
            "invitation": invitation.id,
        }
        event = Event(
            kind=EventKind.INVITATION,
            params=params,
            path=login,
            object_type="users",
            object_id=user.id,
        )
        db.session.add(
            Delivery(event=event, channel=Channel.EMAIL, user_id=user.id, address=user.email)
        )


def _refusals(user_ids: list[int], kind: EventKind) -> set[int]:
    """The users who chose not to hear of this kind outside the inbox (e-mail and app)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(EmailChoice.user_id).where(
                EmailChoice.user_id.in_(user_ids),
                EmailChoice.kind == kind,
                EmailChoice.wanted.is_(False),
            )
        )
    )


def _robots(contractor_ids) -> list[Robot]:
    wanted = list(dict.fromkeys(contractor_ids))
    if not wanted:
        return []
    companies = [c for c in wanted if c is not None]
    where = Robot.contractor_id.in_(companies) if companies else sa.false()
    if SUPERVISION_TEAM in wanted:
        where = sa.or_(where, Robot.contractor_id.is_(None))
    return list(db.session.scalars(sa.select(Robot).where(Robot.active.is_(True), where)))


# --- who hears ---------------------------------------------------------------------------


def contractor_users(*contractor_ids: int) -> list[User]:
    """The active users of these contractors."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.contractor_id.in_(contractor_ids), User.active.is_(True))
        )
    )


def managers() -> list[User]:
    """The supervision department's managers (administrators hear what they hear)."""
    return list(
        db.session.scalars(sa.select(User).where(hears_as_manager(), User.active.is_(True)))
    )


# --- what they read ----------------------------------------------------------------------


def local_time(value: datetime | str | None) -> str:
    """A moment in the bureau's time, as the messages print it."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{as_utc(value).astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"


def event_text(event: Event) -> str:
    """The event in a sentence, in the reader's language."""
    p = dict(event.params)
    for name in ("deadline", "new_deadline", "expires"):
        if name in p:
            p[name] = local_time(p[name])
    texts = {
        EventKind.NOTICE_ISSUED: lambda: _(
            "Rectification notice %(number)s is issued to %(contractor)s: put %(n)s findings "
            "right by %(deadline)s.",
            **p,
        ),
        EventKind.DEADLINE_NEAR: lambda: _(
            "Rectification notice %(number)s falls due at %(deadline)s; %(n)s findings still "
            "wait for a fix.",
            **p,
        ),
        EventKind.NOTICE_OVERDUE: lambda: _(
            "Rectification notice %(number)s of %(contractor)s is overdue (deadline %(deadline)s).",
            **p,
        ),
        EventKind.FIX_REPORTED: lambda: _(
            "%(contractor)s reports a fix under %(number)s: %(title)s. Verify it on site.", **p
        ),
        EventKind.FIX_REJECTED: lambda: _(
            "A fix under %(number)s is sent back: %(title)s. Reason: %(reason)s. New deadline "
            "%(new_deadline)s.",
            **p,
        ),
        EventKind.EXIT_WARNING: lambda: _(
            "Written exit warning %(number)s to %(contractor)s, under notice %(notice)s.", **p
        ),
        EventKind.COMPLAINT_RECEIVED: lambda: _(
            "Complaint %(reference)s received: %(subject)s", **p
        ),
        EventKind.VISIT_MISSED: lambda: _(
            "Planned inspection missed: %(plan)s, due %(due)s, %(place)s.", **p
        ),
        EventKind.BULLETIN_PUBLISHED: lambda: _(
            "The monthly bulletin for %(month)s is published.", **p
        ),
        EventKind.CERTIFICATE_EXPIRING: lambda: _(
            "%(kind)s of %(staff)s (%(contractor)s) expires on %(date)s.", **p
        ),
        EventKind.INVITATION: lambda: _(
            "%(name)s, an account is waiting for you (username %(username)s). Set your "
            "password with the link below before %(expires)s; the link works once.",
            **p,
        ),
    }
    return texts[event.kind]()


class Withdrawn(Exception):
    """The message is no longer true: the invitation it carries was used, replaced or let
    expire, or its account deactivated."""


def message_for_outside(event: Event) -> str:
    """What an e-mail or a robot says: the sentence in the bureau's language, on one line
    whatever breaks the words put in it hold (it is an e-mail's subject), and the link."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = (line.strip() for line in event_text(event).splitlines())
        return f"{' '.join(line for line in lines if line)}\n{public_link(_outside_path(event))}"


def shows_image(event: Event) -> bool:
    return event.kind in IMAGES and bool(event.params.get("image"))


def image_for_outside(event: Event) -> bytes | None:
    """The image a robot shows above the event's link; None if it was never made."""
    return read_stored(IMAGES[event.kind], event.params["image"])


def _outside_path(event: Event) -> str:
    """The page the event is about; for an invitation, a link of the e-mail's own, made now."""
    if event.kind != EventKind.INVITATION:
        return event.path
    invitation = db.session.get(Invitation, event.params["invitation"])
    if invitation is None or not invitation.is_open(utcnow()):
        raise Withdrawn("the invitation is no longer open; nothing was sent")
    return path_for("auth.invitation", token=invitation.new_emailed_token())
