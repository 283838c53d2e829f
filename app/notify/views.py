"""The inbox, what each user hears of outside it, group robots and the deliveries page."""

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.access import ADMINS, role_required
from app.core.extensions import db
from app.identity.apps import personal_addresses
from app.notify.access import ROBOT_KEEPERS, keeps_robots, robot_owners, robots_kept_by
from app.notify.blueprint import bp
from app.notify.delivery import send_again
from app.notify.events import event_text
from app.notify.forms import EmailForm, RobotForm
from app.notify.inbox import mark_everything_read, mark_notification_read, save_email_choices
from app.notify.models import (
    EMAIL_CHOICE_KINDS,
    Delivery,
    DeliveryStatus,
    EmailChoice,
    Notification,
    Robot,
)
from app.notify.robots import add_robot, remove_robot
from app.web.paging import paginate
from app.web.responses import apply, form_shown

PER_PAGE = 30


@bp.app_template_global()
def unread_count() -> int:
    """The user's unread notifications, for the bell on every page: one query a request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_count" not in g:
        g.unread_count = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None)
            )
        )
    return g.unread_count


def _mine():
    return sa.select(Notification).where(Notification.user_id == current_user.id)


def _read(notification_id: int) -> Notification:
    """The user's own notification, marked read (404 for anyone else's)."""
    notification = db.session.scalar(_mine().where(Notification.id == notification_id))
    if notification is None:
        abort(404)
    mark_notification_read(notification)
    return notification


@bp.get("/inbox")
@login_required
def inbox():
    page = paginate(_mine().order_by(Notification.id.desc()), per_page=PER_PAGE)
    return render_template(
        "notify/inbox.html",
        page=page,
        text_of=event_text,
        keeps_robots=keeps_robots(current_user),
    )


@bp.get("/inbox/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Mark the notification read and go to what it is about."""
    return redirect(_read(notification_id).event.path)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    _read(notification_id)
    return redirect(url_for("notify.inbox", page=request.args.get("page", 1, type=int)))


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    mark_everything_read(current_user)
    flash(_("Everything is marked read."), "success")
    return redirect(url_for("notify.inbox"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    """The user's e-mail address, and which kinds of event also come by e-mail (and in the
    apps they linked)."""
    me = current_user._get_current_object()
    form = EmailForm(obj=me)
    choices = {
        c.kind: c.wanted
        for c in db.session.scalars(sa.select(EmailChoice).where(EmailChoice.user_id == me.id))
    }
    if form.validate_on_submit():
        save_email_choices(me, form.email.data, set(form.email_kinds.data or ()))
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notify.settings"))
    apps = [provider.label for provider, _subject in personal_addresses([me.id]).get(me.id, ())]
    return form_shown(
        "notify/settings.html", form=form, kinds=EMAIL_CHOICE_KINDS, choices=choices, apps=apps
    )


def _robots_query():
    return (
        sa.select(Robot)
        .where(Robot.active.is_(True), robots_kept_by(current_user))
        .order_by(Robot.contractor_id.is_not(None), Robot.id)
    )


@bp.route("/robots", methods=["GET", "POST"])
@role_required(*ROBOT_KEEPERS)
def robots():
    form = RobotForm(owners=robot_owners(current_user))
    if form.validate_on_submit():
        add_robot(
            form.service.data, form.owner.data, form.name.data, form.webhook.data, form.secret.data
        )
        flash(_("Robot saved. Messages for this group now go to it."), "success")
        return redirect(url_for("notify.robots"))
    return form_shown(
        "notify/robots.html", form=form, robots=db.session.scalars(_robots_query()).all()
    )


@bp.post("/robots/<int:robot_id>/delete")
@role_required(*ROBOT_KEEPERS)
def delete_robot(robot_id: int):
    robot = db.session.scalar(_robots_query().where(Robot.id == robot_id)) or abort(404)
    remove_robot(robot)
    flash(_("Robot removed."), "success")
    return redirect(url_for("notify.robots"))


@bp.get("/admin/deliveries")
@role_required(*ADMINS)
def deliveries():
    status = request.args.get("status", "failed")
    query = sa.select(Delivery).order_by(Delivery.id.desc())
    if status in DeliveryStatus._value2member_map_:
        query = query.where(Delivery.status == DeliveryStatus(status))
    page = paginate(query, per_page=PER_PAGE)
    return render_template("notify/deliveries.html", page=page, status=status, text_of=event_text)


@bp.post("/admin/deliveries/<int:delivery_id>/resend")
@role_required(*ADMINS)
def resend(delivery_id: int):
    delivery = db.session.get(Delivery, delivery_id) or abort(404)
    return apply(
        lambda: send_again(delivery),
        url_for("notify.deliveries"),
        _("Put back in the outbox; the worker sends it shortly."),
    )
