"""Signing in with an outside identity, and the page where a person links and unlinks theirs."""

from functools import partial

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.auth.access import ADMINS, role_required
from app.auth.invitations import open_invitation
from app.auth.models import User
from app.auth.sessions import signed_in
from app.auth.views import safe_next
from app.core.extensions import db
from app.core.refusals import Refused
from app.identity import oidc
from app.identity.access import get_identity
from app.identity.blueprint import bp
from app.identity.invitations import accept_invitation_with
from app.identity.linking import (
    identities_of,
    identity_for,
    link,
    linked_user,
    unlink,
)
from app.identity.models import Provider
from app.identity.providers import configured_providers, label_of
from app.identity.provisioning import create_account
from app.web.responses import apply

# What the person set out to do, kept in the session from the start to the callback: sign in
# (and where to go next), or link an identity to the account that started (its session id).
INTENT = "identity_intent"


@bp.record_once
def set_up_oidc(state) -> None:
    oidc.setup(state.app)


bp.add_app_template_global(configured_providers, "sign_in_services")


@bp.get("/login/oidc")
def oidc_login():
    _oidc_or_404()
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    session[INTENT] = {"next": safe_next(request.args.get("next"))}
    return _start_oidc()


@bp.get("/account/identities/oidc")
@login_required
def oidc_link():
    _oidc_or_404()
    require_csrf_in_query()
    session[INTENT] = {"link": current_user.get_id()}
    return _start_oidc()


@bp.get("/invite/<token>/oidc")
def oidc_invitation(token: str):
    _oidc_or_404()
    if open_invitation(token) is None:  # its page says so, and counts the guess
        return redirect(url_for("auth.invitation", token=token))
    session[INTENT] = {"invitation": token}
    return _start_oidc()


def require_csrf_in_query() -> None:
    """Linking starts from a link that carries the page's CSRF token, not from a form: the
    Content-Security-Policy's form-action 'self' would stop a form's redirect to the service,
    and without the token another site could start a link to an identity of its choosing."""
    try:
        validate_csrf(request.args.get("csrf_token"))
    except ValidationError:
        abort(400)


def _start_oidc():
    try:
        return oidc.start(url_for("identity.oidc_callback", _external=True))
    except oidc.SignInFailed as error:
        return _failed(error, 502, _("The sign-in service cannot be reached just now."))


@bp.get("/login/oidc/callback")
def oidc_callback():
    _oidc_or_404()
    intent = session.pop(INTENT, None) or {}
    try:
        claims = oidc.verified_claims()
    except oidc.SignInFailed as error:
        return _failed(error, 400, _("The sign-in service's answer could not be accepted."))
    subject, display = claims["sub"], oidc.display_of(claims)
    if "link" in intent:
        return link_to_signed_in(Provider.OIDC, subject, display, started_by=intent["link"])
    if "invitation" in intent:
        return accept_with_identity(Provider.OIDC, subject, display, intent["invitation"])
    create = _oidc_account_maker(claims, display)
    return sign_in(Provider.OIDC, subject, display, intent.get("next"), create=create)


def _oidc_account_maker(claims: dict, display: str):
    """What makes this identity's account on its first sign-in, if the administrator lets
    its group have one; else None."""
    if not oidc.in_auto_create_group(claims):
        return None
    settings = current_app.config
    return partial(
        create_account,
        Provider.OIDC,
        claims["sub"],
        display=display,
        username_hint=str(claims.get("preferred_username") or ""),
        role=settings["OIDC_AUTO_CREATE_ROLE"],
        contractor_name=settings["OIDC_AUTO_CREATE_CONTRACTOR"],
    )


def sign_in(provider: Provider, subject: str, display: str, next_url, create=None):
    """Sign in the account this identity was linked to, as a password login does; an
    identity linked to none is shown how to link it, unless `create` makes its account."""
    if identity_for(provider, subject) is None and create is not None:
        try:
            create()
        except Refused as error:
            db.session.rollback()
            return _refused(403, _("No account was made"), str(error))
    if identity_for(provider, subject) is None:
        service = label_of(provider)
        return render_template("identity/not_linked.html", service=service, display=display), 403
    user = linked_user(provider, subject)
    if user is None:
        return _refused(
            403,
            _("Account deactivated"),
            _("The account linked to this identity is deactivated. Ask the administrator."),
        )
    login_user(user)
    signed_in(user, request.remote_addr or "unknown")
    return redirect(safe_next(next_url))


def link_to_signed_in(
    provider: Provider, subject: str, display: str, *, started_by: str, back: str | None = None
):
    """Link the identity to the account that asked for it, if that account is still the one
    signed in here; then on to `back` (the identities page by default)."""
    if not current_user.is_authenticated or current_user.get_id() != started_by:
        return _refused(
            400,
            _("Identity not linked"),
            _("You were signed out before the identity came back. Log in and link it again."),
        )
    return apply(
        lambda: link(current_user._get_current_object(), provider, subject, display),
        back or url_for("identity.identities"),
        _("%(service)s identity linked.", service=label_of(provider)),
    )


def accept_with_identity(provider: Provider, subject: str, display: str, token: str):
    """Accept an invitation with an outside identity instead of a password: the identity is
    linked to the invited account, the link is used up, and the person is signed in."""
    try:
        accept_invitation_with(provider, subject, display, token)
    except Refused as error:
        db.session.rollback()
        return _refused(error.status, _("Invitation not accepted"), str(error))
    return sign_in(provider, subject, display, None)


@bp.get("/account/identities")
@login_required
def identities():
    services = _services_or_404()
    linked = identities_of(current_user._get_current_object())
    have = {identity.provider for identity in linked}
    return render_template(
        "identity/identities.html",
        title=_("Sign-in identities"),
        identities=linked,
        services=[service for service in services if service.provider not in have],
        label_of=label_of,
    )


@bp.get("/admin/users/<int:user_id>/identities")
@role_required(*ADMINS)
def user_identities(user_id: int):
    _services_or_404()
    user = db.session.get(User, user_id) or abort(404)
    return render_template(
        "identity/identities.html",
        title=_("Sign-in identities of %(name)s", name=user.display_name),
        identities=identities_of(user),
        services=[],
        label_of=label_of,
    )


@bp.post("/account/identities/<int:identity_id>/unlink")
@login_required
def unlink_identity(identity_id: int):
    identity = get_identity(identity_id)
    owner_id, service = identity.user_id, label_of(identity.provider)
    if owner_id == current_user.id:
        back = url_for("identity.identities")
    else:
        back = url_for("identity.user_identities", user_id=owner_id)
    return apply(
        lambda: unlink(identity, by=current_user._get_current_object()),
        back,
        _("%(service)s identity unlinked.", service=service),
    )


def _services_or_404() -> list:
    """The configured services; with none, the pages about them are not there at all."""
    return configured_providers() or abort(404)


def _oidc_or_404() -> None:
    if not oidc.is_configured():
        abort(404)


def _failed(error: Exception, status: int, message: str):
    current_app.logger.warning(
        "outside sign-in refused",
        extra={"request_id": g.get("request_id"), "reason": str(error)[:500]},
    )
    return _refused(status, _("Sign-in failed"), message)


def _refused(status: int, title: str, message: str):
    back = url_for("identity.identities") if current_user.is_authenticated else None
    return render_template(
        "identity/refused.html", status=status, title=title, message=message, back_url=back
    ), status
