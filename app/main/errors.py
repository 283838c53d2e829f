"""Error pages in the layout; they never show internals."""

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.main import bp


def _page(status: int, title: str, message: str, minimal: bool = False):
    return render_template(
        "errors/error.html", status=status, title=title, message=message, minimal=minimal
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
    return _page(413, _("File too large"), _("The file you sent is too large."))


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    return _page(
        400,
        _("Form expired"),
        _("The form was out of date. Go back, reload the page and send it again."),
    )


@bp.app_errorhandler(HTTPException)
def other_http_error(error):
    """Any other HTTP error (405, 429, ...) in the layout, with the standard wording."""
    if error.code and error.code >= 500:
        return server_error(error)
    return _page(error.code or 400, _("Request refused"), _("This request cannot be served."))


@bp.app_errorhandler(500)
def server_error(error):
    db.session.rollback()
    # minimal: the layout must not query a database that may be what failed
    return _page(
        500,
        _("Something went wrong"),
        _("The error has been logged. Please try again in a moment."),
        minimal=True,
    )
