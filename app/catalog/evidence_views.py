"""The managers' rules for evidence photos: how far from its place, how old, camera or not."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.auth.access import EDITORS, role_required
from app.catalog.blueprint import bp
from app.catalog.forms import EvidenceRulesForm
from app.catalog.rules import EVIDENCE_LABELS, EvidencePolicy, evidence_changes, evidence_policy
from app.core.audit import record_event
from app.core.extensions import db
from app.web.responses import form_shown

FIELDS = tuple(EVIDENCE_LABELS)


@bp.route("/catalog/evidence-rules", methods=["GET", "POST"])
@role_required(*EDITORS)
def evidence_rules():
    rules = evidence_policy()
    form = EvidenceRulesForm(obj=rules)
    if form.validate_on_submit():
        before = EvidencePolicy(**{name: getattr(rules, name) for name in FIELDS})
        form.populate_obj(rules)
        record_event(
            "evidence_rules_saved",
            object_type="evidence_policy",
            object_id=rules.id,
            detail=evidence_changes(before, rules),
        )
        db.session.merge(rules)
        db.session.commit()
        flash(_("Evidence rules saved."), "success")
        return redirect(url_for("catalog.evidence_rules"))
    return form_shown(
        "form_page.html",
        form=form,
        title=_("Evidence photo rules"),
        cancel_url=url_for("main.home"),
    )
