"""Written exit warnings: a page and a PDF each."""

from flask import render_template

from app.auth.access import EVERYONE, role_required
from app.notices.access import get_warning
from app.notices.blueprint import bp
from app.pdf import pdf_response, render_pdf


@bp.get("/warnings/<int:warning_id>")
@role_required(*EVERYONE)
def warning(warning_id: int):
    return render_template("notices/warning.html", warning=get_warning(warning_id))


@bp.get("/warnings/<int:warning_id>.pdf")
@role_required(*EVERYONE)
def warning_pdf(warning_id: int):
    exit_warning = get_warning(warning_id)
    pdf = render_pdf("notices/warning_pdf.html", warning=exit_warning)
    return pdf_response(pdf, f"warning-{exit_warning.id}.pdf")
