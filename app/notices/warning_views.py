"""Written exit warnings: a page and a PDF each."""

from flask import make_response, render_template

from app.auth.access import EVERYONE, role_required
from app.notices import bp
from app.notices.access import get_warning
from app.pdf import render_pdf


@bp.get("/warnings/<int:warning_id>")
@role_required(*EVERYONE)
def warning(warning_id: int):
    return render_template("notices/warning.html", warning=get_warning(warning_id))


@bp.get("/warnings/<int:warning_id>.pdf")
@role_required(*EVERYONE)
def warning_pdf(warning_id: int):
    exit_warning = get_warning(warning_id)
    response = make_response(render_pdf("pdf/warning.html", warning=exit_warning))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="warning-{exit_warning.id}.pdf"'
    return response
