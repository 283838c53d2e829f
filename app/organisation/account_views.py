"""The accounts' pages: the bureau's administrator keeps every account, a contractor's
administrator its own company's users (app/auth/access.py says which)."""

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
from flask_login import current_user

from app.auth.access import (
    ACCOUNT_KEEPERS,
    ADMINS,
    get_kept_user,
    gives_up_own_administration,
    keeps_every_account,
    kept_accounts,
    role_required,
)
from app.auth.invitations import VALID_FOR, open_invitations_of
from app.auth.models import User
from app.auth.throttle import locked_accounts
from app.catalog.models import Contractor
from app.core.extensions import db
from app.core.qrcodes import qr_svg
from app.core.refusals import Refused
from app.organisation.accounts import (
    add_account,
    change_activation,
    reinvite,
    save_account,
    unlock,
)
from app.organisation.blueprint import bp
from app.organisation.forms import UserForm, new_user_form
from app.web.responses import apply, form_shown

USERS = "organisation.users"


@bp.get("/admin/users")
@role_required(*ACCOUNT_KEEPERS)
def users():
    people = db.session.scalars(
        sa.select(User).where(kept_accounts(current_user)).order_by(User.role, User.username)
    ).all()
    locked = {u.id for u in locked_accounts(people)}
    return render_template(
        "organisation/users.html",
        users=people,
        locked=locked,
        invitations=open_invitations_of([u.id for u in people]),
        can_edit=keeps_every_account(current_user),
    )


def _contractors():
    return db.session.scalars(sa.select(Contractor).order_by(Contractor.name)).all()


def _me() -> User:
    return current_user._get_current_object()


def _invitation_shown(user: User, link: str):
    """The page with the new link and its QR code: shown this once, kept by no cache."""
    response = make_response(
        render_template(
            "organisation/invitation_link.html",
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


def _account_fields(form) -> dict:
    return {
        "username": form.username.data,
        "display_name": form.display_name.data,
        "phone": form.phone.data,
        "email": form.email.data,
    }


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(*ACCOUNT_KEEPERS)
def user_new():
    me = _me()
    form = new_user_form(me, _contractors() if keeps_every_account(me) else ())
    if form.validate_on_submit():
        try:  # a contractor's administrator is not asked the role and the company
            user, link = add_account(
                me,
                role=form.role.data if "role" in form else None,
                contractor_id=form.contractor_id.data if "contractor_id" in form else None,
                **_account_fields(form),
            )
        except Refused:
            form.username.errors.append(_("This username is taken."))
        else:
            return _invitation_shown(user, link)
    return form_shown("form_page.html", form=form, title=_("New user"), cancel_url=url_for(USERS))


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user, contractors=_contractors())
    if request.method == "GET":
        form.role.data = user.role.value
        form.contractor_id.data = user.contractor_id or 0
    if form.validate_on_submit():
        if gives_up_own_administration(_me(), user, form.role.data, form.active.data):
            form.role.errors.append(_("You cannot remove your own administrator access."))
        else:
            try:
                save_account(
                    user,
                    role=form.role.data,
                    contractor_id=form.contractor_id.data,
                    active=form.active.data,
                    **_account_fields(form),
                )
            except Refused:
                form.username.errors.append(_("This username is taken."))
            else:
                flash(_("User %(name)s saved.", name=user.username), "success")
                return redirect(url_for(USERS))
    return form_shown(
        "form_page.html",
        form=form,
        title=_("Edit user %(name)s", name=user.username),
        cancel_url=url_for(USERS),
    )


@bp.post("/admin/users/<int:user_id>/invite")
@role_required(*ACCOUNT_KEEPERS)
def user_invite(user_id: int):
    """A new link for someone who lost theirs or their password; the old link stops working."""
    user = get_kept_user(user_id)
    try:
        link = reinvite(user, _me())
    except Refused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for(USERS))
    return _invitation_shown(user, link)


@bp.post("/admin/users/<int:user_id>/deactivate")
@role_required(*ACCOUNT_KEEPERS)
def user_deactivate(user_id: int):
    user = get_kept_user(user_id)
    return apply(
        lambda: change_activation(user, _me(), active=False),
        url_for(USERS),
        _("User %(name)s is deactivated.", name=user.username),
    )


@bp.post("/admin/users/<int:user_id>/reactivate")
@role_required(*ACCOUNT_KEEPERS)
def user_reactivate(user_id: int):
    user = get_kept_user(user_id)
    return apply(
        lambda: change_activation(user, _me(), active=True),
        url_for(USERS),
        _("User %(name)s can log in again.", name=user.username),
    )


@bp.post("/admin/users/<int:user_id>/unlock")
@role_required(*ADMINS)
def user_unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    return apply(
        lambda: unlock(user),
        url_for(USERS),
        _("User %(name)s can log in again.", name=user.username),
    )
