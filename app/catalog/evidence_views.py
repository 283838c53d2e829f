"""The managers' rules for evidence photos: how far from its place, how old, camera or not."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.auth.access import EDITORS, role_required
from app.catalog.blueprint import bp
from app.catalog.forms import EvidenceRulesForm
from app.catalog.rules import evidence_policy, save_evidence_rules
from app.web.responses import form_shown


@bp.route("/catalog/evidence-rules", methods=["GET", "POST"])
@role_required(*EDITORS)
def evidence_rules():
    rules = evidence_policy()
    form = EvidenceRulesForm(obj=rules)
    if form.validate_on_submit():
        save_evidence_rules(form)
        flash(_("Evidence rules saved."), "success")
        return redirect(url_for("catalog.evidence_rules"))
    return form_shown(
        "form_page.html",
        form=form,
        title=_("Evidence photo rules"),
        cancel_url=url_for("main.home"),
    )
