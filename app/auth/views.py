import hmac

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import sessions
from app.auth.blueprint import bp
from app.auth.forms import LoginForm, PasswordChangeForm
from app.auth.models import User
from app.auth.throttle import (
    is_account_locked,
    is_address_blocked,
    record_attempt,
)
from app.auth.users import authenticate
from app.core.extensions import db, login_manager
from app.web.responses import form_shown

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(session_id: str):
    """The user a session names, if it began after their last new password and logout."""
    user_id, _, epoch = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not hmac.compare_digest(user.session_epoch, epoch):
        return None
    return user


def safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site; anything else leads to the home page."""
    return target if target and is_local_path(target) else url_for("main.home")


def is_local_path(target: str) -> bool:
    """Whether `target` is a path on this site, however a browser reads it."""
    # Browsers read `/\\host` as `//host` and drop tabs and line breaks first (`/\t/host`); a
    # line break cannot go into a Location header at all.
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip()
        address = request.remote_addr or "unknown"
        if is_address_blocked(address) or is_account_locked(username):
            minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
            form.form_errors.append(
                _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)
            )
            return render_template("auth/login.html", form=form), 429
        user = authenticate(username, form.password.data)
        if user is not None:
            sessions.signed_in(user, address)
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        record_attempt(username, address, succeeded=False)
        form.form_errors.append(_("Wrong username or password."))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.signed_out(current_user._get_current_object())
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            me = current_user._get_current_object()
            sessions.change_password(me, form.new.data)
            login_user(me)  # this session carries on; every other one has ended
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
    return form_shown(
        "form_page.html", form=form, title=_("Change password"), cancel_url=url_for("main.home")
    )
