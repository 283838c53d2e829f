"""Error pages in the layout; they never show internals."""

import sqlalchemy as sa
from flask import current_app, g, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.extensions import db
from app.core.refusals import Refused
from app.core.uploads import too_large_message
from app.main.blueprint import bp


def _page(status: int, title: str, message: str, minimal: bool = False):
    return render_template(
        "main/error.html", status=status, title=title, message=message, minimal=minimal
    ), status


@bp.app_errorhandler(403)
def forbidden(error):
    return _page(403, _("Not allowed"), _("Your account may not open this page."))


@bp.app_errorhandler(404)
def not_found(error):
    return _page(
        404, _("Page not found"), _("This page does not exist, or it is not yours to see.")
    )


@bp.app_errorhandler(413)
def too_large(error):
    return _page(413, _("File too large"), too_large_message())


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    return _page(
        400,
        _("Form expired"),
        _("The form was out of date. Go back, reload the page and send it again."),
    )


@bp.app_errorhandler(Refused)
def refused(refusal):
    """A rule said no where no view shows why (a page's query string): its reason, on a page."""
    return _page(refusal.status, _("Request refused"), str(refusal))


@bp.app_errorhandler(HTTPException)
def other_http_error(error):
    """Any other HTTP error (405, 429, ...) in the layout, with the standard wording."""
    if error.code and error.code >= 500:
        return server_error(error)
    return _page(error.code or 400, _("Request refused"), _("This request cannot be served."))


@bp.app_errorhandler(500)
def server_error(error):
    _forget_the_database()
    return _page(
        500,
        _("Something went wrong"),
        _("The error has been logged. Please try again in a moment."),
        minimal=True,
    )


@bp.app_errorhandler(sa.exc.OperationalError)
@bp.app_errorhandler(sa.exc.InterfaceError)
def database_unavailable(error):
    """The database is restarting, unreachable or too busy: logged whole like any error, but
    the person is told to try again, and the phone's outbox when (it resends on any 5xx)."""
    current_app.log_exception((type(error), error, error.__traceback__))
    _forget_the_database()
    page, status = _page(
        503,
        _("Try again in a moment"),
        _("The database cannot be reached just now. Please try again in a moment."),
        minimal=True,
    )
    return page, status, {"Retry-After": "5"}


def _forget_the_database() -> None:
    """Roll back, and render the error page as for a visitor: the database may be what failed,
    and flask-login would otherwise try to load the user again for the layout."""
    db.session.rollback()
    g._login_user = current_app.login_manager.anonymous_user()
