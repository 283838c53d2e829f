"""`/invite/<token>`: the person of an invited account sets their own password, once."""

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth.blueprint import bp
from app.auth.forms import InvitationForm
from app.auth.invitations import accept, closed_message, open_invitation
from app.auth.throttle import is_address_blocked, record_attempt
from app.core.extensions import db
from app.core.refusals import Refused

# Counted with failed logins from the same address: guessing links is refused as guessing
# passwords is. No username has brackets, so no account's own count is touched.
LINK_ATTEMPT = "(invitation link)"


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str):
    address = request.remote_addr or "unknown"
    if is_address_blocked(address):
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        message = _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)
        return _page("auth/invitation_closed.html", message=message), 429
    invited = open_invitation(token)
    if invited is None:
        record_attempt(LINK_ATTEMPT, address, succeeded=False)
        return _page("auth/invitation_closed.html", message=closed_message()), 404
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            user = accept(token, form.new.data)
        except Refused as refusal:  # used by a request that came a moment before
            db.session.rollback()
            return _page("auth/invitation_closed.html", message=str(refusal)), refusal.status
        if current_user.is_authenticated:
            logout_user()  # whoever was signed in on this browser now logs in as themselves
        flash(_("Your password is set. Log in as %(name)s.", name=user.username), "success")
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return _page("auth/invitation.html", form=form, user=invited.user, token=token), status


def _page(template: str, **context):
    """The secret is in this page's address: no cache keeps it (and no page, being sent
    without a referrer, passes it on)."""
    response = make_response(render_template(template, minimal=True, **context))
    response.headers["Cache-Control"] = "no-store"
    return response
