"""The round trip through 企业微信, 钉钉 or 飞书: start it (to sign in, or to link the app
while signed in), take the answer, and, for a page opened inside one of the apps, sign in
without the login form. Each app has its own addresses and endpoints: /login/wecom
("identity.wecom_login"), /account/identities/wecom ("identity.wecom_link") and
/login/wecom/callback ("identity.wecom_callback"), and the same for dingtalk and feishu."""

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, user_logged_out
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.auth.invitations import open_invitation
from app.auth.sessions import signed_in
from app.auth.views import is_local_path, safe_next
from app.identity.app_api import APP_FAILURES, AppClient, Person
from app.identity.app_signin import (
    INVITATION,
    LINK,
    SIGN_IN,
    Deactivated,
    Unlinked,
    account_for,
    begin,
    new_account_rule,
    take_pending,
)
from app.identity.apps import APP_PROVIDERS, client, opened_in, sign_in_endpoint
from app.identity.blueprint import bp
from app.identity.models import Provider
from app.identity.views import accept_with_identity, link_to_signed_in

IDENTITIES = "/account/identities"  # where linking comes back to unless told otherwise
SIGNED_OUT = "signed_out"
REFUSALS = {
    "unlinked": _l("Your %(app)s account is not linked"),
    "deactivated": _l("This account is deactivated"),
    "expired": _l("This sign-in has expired"),
    "cancelled": _l("Sign-in was not completed"),
    "failed": _l("%(app)s could not confirm who you are"),
}


@bp.record_once
def check_app_settings(state) -> None:
    """Refuse to start with an app half configured, or set to make accounts nobody should
    get on first sign-in."""
    for provider in APP_PROVIDERS:
        app = client(provider, state.app.config)
        app.check_settings()
        new_account_rule(app)


@bp.app_template_global()
def app_login_url(app: AppClient) -> str:
    return url_for(sign_in_endpoint(app.provider), next=request.args.get("next"))


@bp.before_app_request
def sign_in_inside_the_app():
    """Opened inside 企业微信, 钉钉 or 飞书, the login form is skipped: the app says who is
    using it. The form shows with `?password=1` (to sign in otherwise after a refusal), right
    after logging out, and to a script (the outbox asking whether it is still signed in must
    land on the login page, not on another site)."""
    if (
        request.endpoint != "auth.login"
        or request.method != "GET"
        or request.args.get("password")
        or session.pop(SIGNED_OUT, False)
        or request.headers.get("HX-Request")
        or request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
        or current_user.is_authenticated
    ):
        return None
    app = opened_in(request.user_agent.string)
    return _round_trip(app, SIGN_IN, request.args.get("next")) if app is not None else None


@user_logged_out.connect
def _form_after_logging_out(sender, **extra):
    session[SIGNED_OUT] = True


def app_login(provider: str):
    app = _configured(provider)
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return _round_trip(app, SIGN_IN, request.args.get("next"))


@login_required
def app_link(provider: str):
    app = _configured(provider)
    try:  # from a link carrying the page's token: another site cannot start a link
        validate_csrf(request.args.get("csrf_token"))
    except ValidationError:
        abort(400)
    return _round_trip(app, LINK, request.args.get("next") or IDENTITIES)


def app_invitation(provider: str, token: str):
    app = _configured(provider)
    if open_invitation(token) is None:  # its page says so, and counts the guess
        return redirect(url_for("auth.invitation", token=token))
    return _round_trip(app, INVITATION, None, invitation=token)


def app_callback(provider: str):
    app = _configured(provider)
    pending = take_pending(app.provider, request.args.get("state", ""))
    if pending is None:
        return _refused(app, "expired", 400)
    code = request.args.get("code") or request.args.get("authCode")  # 钉钉 says authCode
    if not code:
        return _refused(app, "cancelled", 400)
    try:
        person = app.person_from_code(code, _callback_url(app))
    except APP_FAILURES as error:
        current_app.logger.warning(
            "sign-in with an app failed",
            extra={"provider": provider, "error": f"{type(error).__name__}: {error}"},
        )
        return _refused(app, "failed", 502)
    if pending["intent"] == LINK:
        return _link(app, person, pending)
    if pending["intent"] == INVITATION:
        return accept_with_identity(
            app.provider, person.subject, person.name, pending["invitation"]
        )
    return _sign_in(app, person, pending["next"])


def _add_routes() -> None:
    """Each app's own addresses and endpoints, as the list of sign-in services names them."""
    for provider in APP_PROVIDERS:
        name, given = provider.value, {"provider": provider.value}
        bp.add_url_rule(f"/login/{name}", f"{name}_login", app_login, defaults=given)
        bp.add_url_rule(f"/account/identities/{name}", f"{name}_link", app_link, defaults=given)
        bp.add_url_rule(f"/login/{name}/callback", f"{name}_callback", app_callback, defaults=given)
        bp.add_url_rule(
            f"/invite/<token>/{name}", f"{name}_invitation", app_invitation, defaults=given
        )


_add_routes()


def _configured(provider: str) -> AppClient:
    app = client(Provider(provider))
    if not app.can_sign_in:
        abort(404)
    return app


def _callback_url(app: AppClient) -> str:
    # The address the browser is on, so the session (and its state) comes back with it.
    return url_for(f"identity.{app.provider.value}_callback", _external=True)


def _round_trip(app: AppClient, intent: str, next_path: str | None, invitation: str = ""):
    """Send the browser to the app's login page: the QR code on a desktop, the app's own
    silent sign-in inside it. Where to go afterwards is kept only if it is on this site."""
    wanted = next_path if next_path and is_local_path(next_path) else ""
    started_by = current_user.get_id() if intent == LINK else ""
    state = begin(app.provider, intent, wanted, started_by, invitation)
    in_app = app.opened_inside(request.user_agent.string)
    return redirect(app.sign_in_url(state, _callback_url(app), in_app=in_app))


def _sign_in(app: AppClient, person: Person, next_path: str):
    try:
        user = account_for(app, person)
    except Unlinked:
        return _refused(app, "unlinked", 403, person)
    except Deactivated:
        return _refused(app, "deactivated", 403, person)
    login_user(user)
    signed_in(user, request.remote_addr or "unknown")
    return redirect(safe_next(next_path))


def _link(app: AppClient, person: Person, pending: dict):
    return link_to_signed_in(
        app.provider,
        person.subject,
        person.name,
        started_by=pending["started_by"],
        back=safe_next(pending["next"]),
    )


def _refused(app: AppClient, reason: str, status: int, person: Person | None = None):
    title = str(REFUSALS[reason]) % {"app": app.provider.label}
    page = render_template(
        "identity/apps_refused.html", app=app, reason=reason, person=person, title=title
    )
    return page, status
