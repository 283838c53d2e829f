"""Starting an inspection in three taps and recording it item by item."""

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.access import SELF_CHECKERS, SUPERVISORS, role_required
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.core.extensions import db
from app.core.refusals import Refused
from app.inspections.access import (
    can_record,
    get_inspection,
    get_item,
    get_photo,
    inspector_accounts,
)
from app.inspections.blueprint import bp
from app.inspections.capture import (
    checklist_page,
    drop_photo,
    finish,
    picture_to_mark_up,
    replace_with_marked_up,
    save_answer,
    save_answer_on_page,
    save_note,
    save_photos,
)
from app.inspections.checklist import (
    Plan,
    contractors_at,
    plan_check_points,
    plan_contractors,
    sites_to_offer,
)
from app.inspections.forms import StartForm
from app.inspections.models import Party, Schedule, Scope, Tier
from app.inspections.starting import start_check
from app.web.bounds import db_int
from app.web.offline import offline_page
from app.web.responses import form_shown

# a contractor's users record their own self-checks on the same screens
SELF_RECORDERS = (*SUPERVISORS, *SELF_CHECKERS)


def _chosen(model, key):
    value = request.values.get(key, type=db_int)
    if not value:
        return None
    return db.session.get(model, value) or abort(404)


def _colleagues() -> list[User]:
    """The other inspectors, whom a spot check may take along."""
    return db.session.scalars(
        sa.select(User)
        .where(inspector_accounts(), User.active.is_(True), User.id != current_user.id)
        .order_by(User.display_name)
    ).all()


@bp.route("/inspections/new", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
def start():
    line = _chosen(ServiceLine, "line")
    contractor = _chosen(Contractor, "contractor")
    site = _chosen(Site, "site")
    block = request.values.get("block") == "site" or contractor is not None
    if line is None and not block:
        lines = db.session.scalars(
            sa.select(ServiceLine)
            .where(ServiceLine.active.is_(True))
            .order_by(ServiceLine.position)
        ).all()
        contractors = db.session.scalars(
            sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
        ).all()
        return render_template("inspections/start_kind.html", lines=lines, contractors=contractors)
    if site is None:
        return render_template(
            "inspections/start_place.html",
            line=line,
            contractor=contractor,
            nodes=sites_to_offer(line, contractor),
        )
    plan = Plan(
        scope=Scope.BLOCK if block else Scope.STRIP,
        site=site,
        service_line=None if block else line,
        contractor=contractor,
    )
    inspectors = _colleagues()
    form = StartForm(inspectors=inspectors)
    if request.method == "GET":
        form.line.data = line.id if line else None
        form.contractor.data = contractor.id if contractor else None
        form.site.data = site.id
        form.block.data = "site" if block and contractor is None else ""
    error = None
    if form.validate_on_submit():
        co_inspectors = [u for u in inspectors if u.id in form.co_inspectors.data]
        try:
            inspection = start_check(
                plan,
                current_user._get_current_object(),
                schedule=Schedule(form.schedule.data),
                party=Party(form.party.data),
                tier=Tier(form.tier.data),
                co_inspectors=co_inspectors,
            )
        except Refused as refusal:
            error = str(refusal)
        else:
            return redirect(url_for("inspections.run", inspection_id=inspection.id))
    return form_shown(
        "inspections/start_go.html",
        form=form,
        plan=plan,
        contractors=plan_contractors(plan) if not error else contractors_at(site, line),
        point_count=len(plan_check_points(plan)),
        error=error,
    )


@bp.get("/inspections/<int:inspection_id>/run")
@role_required(*SELF_RECORDERS)
def run(inspection_id: int):
    inspection = get_inspection(inspection_id)
    if not inspection.is_draft:
        return redirect(url_for("inspections.report", inspection_id=inspection.id))
    recording = can_record(inspection, current_user)
    page = checklist_page(inspection, can_record=recording)
    return offline_page(page) if recording else page


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/answer")
@role_required(*SELF_RECORDERS)
def answer(inspection_id: int, item_id: int):
    return save_answer(
        inspection_id,
        item_id,
        current_user._get_current_object(),
        lambda: get_item(inspection_id, item_id),
    )


@bp.post("/inspections/<int:inspection_id>/answers")
@role_required(*SELF_RECORDERS)
def answer_on_page(inspection_id: int):
    get_inspection(inspection_id)
    return save_answer_on_page(
        inspection_id,
        current_user._get_current_object(),
        lambda item_id: get_item(inspection_id, item_id),
    )


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/note")
@role_required(*SELF_RECORDERS)
def note(inspection_id: int, item_id: int):
    return save_note(get_item(inspection_id, item_id), current_user._get_current_object())


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/photos")
@role_required(*SELF_RECORDERS)
def upload_photo(inspection_id: int, item_id: int):
    return save_photos(get_item(inspection_id, item_id), current_user._get_current_object())


@bp.route("/inspections/photos/<int:photo_id>/markup", methods=["GET", "POST"])
@role_required(*SELF_RECORDERS)
def markup_photo(photo_id: int):
    """GET: the picture to draw on; POST: the marked-up copy that takes its place."""
    me = current_user._get_current_object()
    if request.method == "GET":
        return picture_to_mark_up(get_photo(photo_id), me)
    return replace_with_marked_up(get_photo(photo_id), me)


@bp.post("/inspections/photos/<int:photo_id>/delete")
@role_required(*SELF_RECORDERS)
def delete_photo(photo_id: int):
    return drop_photo(get_photo(photo_id), current_user._get_current_object())


@bp.post("/inspections/<int:inspection_id>/submit")
@role_required(*SELF_RECORDERS)
def submit_inspection(inspection_id: int):
    inspection = get_inspection(inspection_id)
    return finish(
        inspection,
        current_user._get_current_object(),
        url_for("inspections.report", inspection_id=inspection.id),
    )
