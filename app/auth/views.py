import hmac

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.access import ACCOUNT_KEEPERS, ADMINS, get_kept_user, kept_accounts, role_required
from app.auth.blueprint import bp
from app.auth.forms import LoginForm, PasswordChangeForm, UserForm, new_user_form
from app.auth.invitations import VALID_FOR, invite, open_invitations_of
from app.auth.models import Role, User
from app.auth.throttle import (
    is_account_locked,
    is_address_blocked,
    record_attempt,
    unlock_account,
)
from app.auth.users import authenticate, create_user, set_active, update_user
from app.catalog.models import Contractor
from app.core.audit import record_event
from app.core.extensions import db, login_manager
from app.core.qrcodes import qr_svg
from app.core.refusals import Refused
from app.core.timeutil import utcnow
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
            record_attempt(user.username, address, succeeded=True)
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
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
        current_user.end_sessions()  # a copy of this session's cookie must not live on
        db.session.commit()
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
            me.set_password(form.new.data)
            record_event("password_changed", me)
            db.session.commit()
            login_user(me)  # this session carries on; every other one has ended
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
    return form_shown(
        "form_page.html", form=form, title=_("Change password"), cancel_url=url_for("main.home")
    )


@bp.get("/admin/users")
@role_required(*ACCOUNT_KEEPERS)
def users():
    people = db.session.scalars(
        sa.select(User).where(kept_accounts(current_user)).order_by(User.role, User.username)
    ).all()
    locked = {u.id for u in people if is_account_locked(u.username)}
    return render_template(
        "auth/users.html",
        users=people,
        locked=locked,
        invitations=open_invitations_of([u.id for u in people]),
        can_edit=current_user.role in ADMINS,
    )


def _contractors():
    return db.session.scalars(sa.select(Contractor).order_by(Contractor.name)).all()


def _me() -> User:
    return current_user._get_current_object()


def _invitation_shown(user: User, link: str):
    """The page with the new link and its QR code: shown this once, kept by no cache."""
    response = make_response(
        render_template(
            "auth/invitation_link.html",
            user=user,
            link=link,
            qr=qr_svg(link),
            days=VALID_FOR.days,
            emailed=bool(current_app.config["SMTP_HOST"] and user.email),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["HX-Push-Url"] = "false"  # the address stays that of the page before
    return response


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(*ACCOUNT_KEEPERS)
def user_new():
    me = _me()
    form = new_user_form(me, _contractors() if me.role in ADMINS else ())
    if form.validate_on_submit():
        own_company = me.role not in ADMINS
        try:
            user = create_user(
                form.username.data,
                form.display_name.data,
                Role.CONTRACTOR if own_company else form.role.data,
                contractor_id=me.contractor_id if own_company else form.contractor_id.data,
                phone=form.phone.data,
                email=form.email.data,
            )
        except Refused:
            form.username.errors.append(_("This username is taken."))
        else:
            link = invite(user, me)
            db.session.commit()
            return _invitation_shown(user, link)
    return form_shown(
        "form_page.html", form=form, title=_("New user"), cancel_url=url_for("auth.users")
    )


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user, contractors=_contractors())
    if request.method == "GET":
        form.role.data = user.role.value
        form.contractor_id.data = user.contractor_id or 0
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != Role.ADMIN or not form.active.data):
            form.role.errors.append(_("You cannot remove your own administrator access."))
        else:
            try:
                update_user(
                    user,
                    username=form.username.data,
                    display_name=form.display_name.data,
                    role=form.role.data,
                    contractor_id=form.contractor_id.data,
                    phone=form.phone.data,
                    email=form.email.data,
                    active=form.active.data,
                )
            except Refused:
                form.username.errors.append(_("This username is taken."))
            else:
                db.session.commit()
                flash(_("User %(name)s saved.", name=user.username), "success")
                return redirect(url_for("auth.users"))
    return form_shown(
        "form_page.html",
        form=form,
        title=_("Edit user %(name)s", name=user.username),
        cancel_url=url_for("auth.users"),
    )


@bp.post("/admin/users/<int:user_id>/invite")
@role_required(*ACCOUNT_KEEPERS)
def user_invite(user_id: int):
    """A new link for someone who lost theirs or their password; the old link stops working."""
    user = get_kept_user(user_id)
    try:
        link = invite(user, _me())
    except Refused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("auth.users"))
    db.session.commit()
    return _invitation_shown(user, link)


@bp.post("/admin/users/<int:user_id>/deactivate")
@role_required(*ACCOUNT_KEEPERS)
def user_deactivate(user_id: int):
    return _change_activation(get_kept_user(user_id), active=False)


@bp.post("/admin/users/<int:user_id>/reactivate")
@role_required(*ACCOUNT_KEEPERS)
def user_reactivate(user_id: int):
    return _change_activation(get_kept_user(user_id), active=True)


def _change_activation(user: User, active: bool):
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("auth.users"))
    set_active(user, active)
    db.session.commit()
    if active:
        flash(_("User %(name)s can log in again.", name=user.username), "success")
    else:
        flash(_("User %(name)s is deactivated.", name=user.username), "success")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/unlock")
@role_required(*ADMINS)
def user_unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    unlock_account(user.username)
    record_event("user_unlocked", user)
    db.session.commit()
    flash(_("User %(name)s can log in again.", name=user.username), "success")
    return redirect(url_for("auth.users"))
