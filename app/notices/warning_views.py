"""Written exit warnings: a page, a PDF and an OFD each."""

from flask import render_template, request

from app.auth.access import EVERYONE, role_required
from app.documents.ofd import send_ofd
from app.documents.versions import send_version, versions_of
from app.notices.access import get_warning
from app.notices.blueprint import bp
from app.notices.documents import warning_document
from app.web.bounds import db_int


@bp.get("/warnings/<int:warning_id>")
@role_required(*EVERYONE)
def warning(warning_id: int):
    exit_warning = get_warning(warning_id)
    return render_template(
        "notices/warning.html",
        warning=exit_warning,
        versions=versions_of("warning", exit_warning.id),
    )


@bp.get("/warnings/<int:warning_id>.pdf")
@role_required(*EVERYONE)
def warning_pdf(warning_id: int):
    exit_warning = get_warning(warning_id)
    return send_version(
        warning_document(exit_warning),
        request.args.get("version", type=db_int),
        f"warning-{exit_warning.id}",
    )


@bp.get("/warnings/<int:warning_id>.ofd")
@role_required(*EVERYONE)
def warning_ofd(warning_id: int):
    exit_warning = get_warning(warning_id)
    return send_ofd(
        warning_document(exit_warning),
        request.args.get("version", type=db_int),
        f"warning-{exit_warning.id}",
    )
