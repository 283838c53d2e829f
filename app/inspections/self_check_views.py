"""Contractor self-checks (自查): a contractor's users check their own service on the same
screens as the inspectors; supervisors see every self-check."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.access import SELF_CHECKERS, SUPERVISORS, role_required
from app.catalog.models import Contractor, Site
from app.core.extensions import db
from app.core.refusals import Refused
from app.inspections.access import can_start_self_check, visible_self_checks
from app.inspections.blueprint import bp
from app.inspections.checklist import sites_to_offer
from app.inspections.forms import SelfCheckStartForm
from app.inspections.models import Inspection
from app.inspections.starting import start_self_check as start_own_check

PAGE_SIZE = 50


@bp.route("/self-checks/new", methods=["GET", "POST"])
@role_required(*SELF_CHECKERS)
def start_self_check():
    contractor = db.session.get(Contractor, current_user.contractor_id) or abort(404)
    nodes = sites_to_offer(None, contractor)
    if request.method == "POST":
        form = SelfCheckStartForm()
        site = db.session.get(Site, form.site.data) if form.validate() else None
        if site is None or site.id not in {node.site.id for node in nodes}:
            abort(404)  # not one of this contractor's places
        try:
            inspection = start_own_check(contractor, site, current_user._get_current_object())
        except Refused as refusal:
            flash(str(refusal), "error")
            return redirect(url_for("inspections.start_self_check"))
        return redirect(url_for("inspections.run", inspection_id=inspection.id))
    return render_template("inspections/self_check_start.html", contractor=contractor, nodes=nodes)


@bp.get("/self-checks")
@role_required(*SUPERVISORS, *SELF_CHECKERS)
def self_checks():
    query = (
        sa.select(Inspection)
        .where(visible_self_checks(current_user))
        .order_by(Inspection.started_at.desc())
        .limit(PAGE_SIZE)
    )
    return render_template(
        "inspections/self_checks.html",
        inspections=db.session.scalars(query).all(),
        can_start=can_start_self_check(current_user),
    )
