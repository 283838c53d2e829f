"""`/verify`: anyone holding a paper or a PDF checks it against the issued versions, by the
code printed on it or by the file itself. The answer names the document and nothing more."""

from flask import render_template, request
from flask_babel import gettext as _

from app.core.files import sha256
from app.documents.blueprint import bp
from app.documents.checks import count_check, too_many_checks
from app.documents.forms import VerifyForm
from app.documents.versions import find_by_code, find_by_digest


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    form = VerifyForm()
    if request.method == "GET":
        asked = request.args.get("code")
        if asked is None:
            return render_template("documents/verify.html", form=form)
        form.code.data = asked
    elif not form.validate_on_submit():
        return render_template("documents/verify.html", form=form), 422
    if too_many_checks():
        refusal = _("Too many checks from this network just now. Please try again later.")
        return render_template("documents/verify.html", form=form, refusal=refusal), 429
    count_check()
    if form.pdf.data:
        found = find_by_digest(sha256(form.pdf.data.read()))
    else:
        found = find_by_code(form.code.data)
    return (
        render_template("documents/verify.html", form=form, checked=True, found=found),
        200 if found else 404,
    )
