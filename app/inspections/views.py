"""Starting an inspection in three taps and recording it item by item."""

import itertools
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import SELF_CHECKERS, SUPERVISORS, role_required
from app.auth.models import Role, User
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.sites import site_tree
from app.extensions import db
from app.inspections.access import get_inspection, get_item, get_photo
from app.inspections.blueprint import bp
from app.inspections.checklist import (
    Plan,
    contractors_at,
    plan_check_points,
    plan_contractors,
    start_inspection,
)
from app.inspections.forms import StartForm, SubmitForm
from app.inspections.models import Answer, Party, Schedule, Scope, Tier
from app.inspections.recording import (
    NotReady,
    attach_photo,
    progress,
    record_answer,
    record_note,
    remove_photo,
    submit,
)
from app.inspections.urls import checklist_url
from app.main.pwa import offline_page
from app.main.replays import client_uuid
from app.refusals import Refused
from app.responses import form_shown

# a contractor's users record their own self-checks on the same screens
SELF_RECORDERS = (*SUPERVISORS, *SELF_CHECKERS)


def _chosen(model, key):
    value = request.values.get(key, type=int)
    if not value:
        return None
    return db.session.get(model, value) or abort(404)


def _sites_for(line, contractor):
    """Places to offer: those the chosen line's or contractor's contractors serve, and inside."""
    if contractor is not None:
        served = {s.id for s in contractor.sites}
    elif line is not None:
        served = {s.id for c in line.contractors if c.active for s in c.sites}
    else:
        served = None
    nodes = site_tree()
    if served is None:
        return nodes
    offered, inside_depth = [], None
    for node in nodes:
        if inside_depth is not None and node.depth <= inside_depth:
            inside_depth = None
        if node.site.id in served and inside_depth is None:
            inside_depth = node.depth
        if inside_depth is not None:
            offered.append(node)
    return offered


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
            nodes=_sites_for(line, contractor),
        )
    plan = Plan(
        scope=Scope.BLOCK if block else Scope.STRIP,
        site=site,
        service_line=None if block else line,
        contractor=contractor,
    )
    inspectors = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.INSPECTOR, User.active.is_(True), User.id != current_user.id)
        .order_by(User.display_name)
    ).all()
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
            inspection = start_inspection(
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
            db.session.commit()
            return redirect(url_for("inspections.run", inspection_id=inspection.id))
    return form_shown(
        "inspections/start_go.html",
        form=form,
        plan=plan,
        contractors=plan_contractors(plan) if not error else contractors_at(site, line),
        point_count=len(plan_check_points(plan)),
        error=error,
    )


def grouped_items(items):
    """Items by category, keeping checklist order (a category's items are consecutive)."""
    return [
        (name, list(group)) for name, group in itertools.groupby(items, key=lambda i: i.category)
    ]


@bp.get("/inspections/<int:inspection_id>/run")
@role_required(*SELF_RECORDERS)
def run(inspection_id: int):
    inspection = get_inspection(inspection_id)
    if not inspection.is_draft:
        return redirect(url_for("inspections.report", inspection_id=inspection.id))
    can_record = current_user in inspection.inspectors
    page = render_template(
        "inspections/run.html",
        inspection=inspection,
        groups=grouped_items(inspection.items),
        progress=progress(inspection),
        problems={},
        form=SubmitForm(),
        can_record=can_record,
    )
    return offline_page(page) if can_record else page


def _item_response(item, error=None, status=200):
    """The item's card for htmx (with the progress bar out of band), else back to the list."""
    if request.htmx:
        return render_template(
            "inspections/_item_response.html",
            item=item,
            error=error,
            progress=progress(item.inspection),
            can_record=True,
        ), status
    if error:
        flash(error, "error")
    return redirect(checklist_url("run", inspection_id=item.inspection_id) + f"#item-{item.id}")


def _refuse(item, refusal: Refused):
    db.session.rollback()
    return _item_response(item, error=str(refusal), status=refusal.status)


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/answer")
@role_required(*SELF_RECORDERS)
def answer(inspection_id: int, item_id: int):
    return save_answer(get_item(inspection_id, item_id), current_user._get_current_object())


def save_answer(item, user):
    try:
        choice = Answer(request.form.get("answer", ""))
    except ValueError:
        abort(400)
    first_answer = item.answered_at is None
    try:
        record_answer(
            item,
            choice,
            user,
            answered_at=_client_time("answered_at_ms"),
            client_uuid=client_uuid(),
        )
    except Refused as refusal:
        return _refuse(item, refusal)
    return _commit_capture(item, shown_on_the_phone=first_answer)


def _commit_capture(item, shown_on_the_phone=False):
    """Commit an answer or photo. If the same UUID was committed meanwhile (the phone resent
    while the first request was still on its way), the unique key refuses the second copy:
    that is a replay, and the answer is the item as stored.

    An item's first answer is stored exactly as the phone already shows it (no history to
    list, no other answer that won): an empty 200 confirms it, and the phone keeps its card
    and counts its progress itself. Rendering the card again was most of a tap's cost."""
    session = db.session()
    session.expire_on_commit = False  # the answer shows what this request just wrote: no reload
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        if not client_uuid():
            raise
        session.refresh(item)
        shown_on_the_phone = False
    finally:
        session.expire_on_commit = True
    if shown_on_the_phone and request.htmx:
        return "", 200
    return _item_response(item)


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/note")
@role_required(*SELF_RECORDERS)
def note(inspection_id: int, item_id: int):
    return save_note(get_item(inspection_id, item_id), current_user._get_current_object())


def save_note(item, user):
    try:
        record_note(item, request.form.get("note", ""), user)
    except Refused as refusal:
        return _refuse(item, refusal)
    db.session.commit()
    return _item_response(item)


def _float(name):
    try:
        return float(request.form[name])
    except (KeyError, ValueError):
        return None


def _client_time(field: str = "taken_at_ms"):
    """A time the browser sent (ms since epoch): a photo's capture, an offline tap."""
    millis = _float(field)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/photos")
@role_required(*SELF_RECORDERS)
def upload_photo(inspection_id: int, item_id: int):
    return save_photos(get_item(inspection_id, item_id), current_user._get_current_object())


def save_photos(item, user):
    files = [f for f in request.files.getlist("photo") if f and f.filename]
    if not files:
        return _item_response(item, error=_("Choose or take a photo first."), status=422)
    try:
        for upload in files:
            attach_photo(
                item,
                upload.read(),
                user,
                taken_at=_client_time(),
                latitude=_float("latitude"),
                longitude=_float("longitude"),
                accuracy_m=_float("accuracy"),
                client_uuid=client_uuid() if len(files) == 1 else None,
            )
    except Refused as refusal:
        return _refuse(item, refusal)
    return _commit_capture(item)


@bp.post("/inspections/photos/<int:photo_id>/delete")
@role_required(*SELF_RECORDERS)
def delete_photo(photo_id: int):
    return drop_photo(get_photo(photo_id), current_user._get_current_object())


def drop_photo(photo, user):
    item = photo.item
    try:
        remove_photo(photo, user)
    except Refused as refusal:
        return _refuse(item, refusal)
    db.session.commit()
    db.session.refresh(item)
    return _item_response(item)


@bp.post("/inspections/<int:inspection_id>/submit")
@role_required(*SELF_RECORDERS)
def submit_inspection(inspection_id: int):
    inspection = get_inspection(inspection_id)
    return finish(
        inspection,
        current_user._get_current_object(),
        url_for("inspections.report", inspection_id=inspection.id),
    )


def finish(inspection, user, done_url: str):
    """Submit, or show the checklist again with what still needs the inspector."""
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        findings = submit(inspection, user, form.summary.data)
    except NotReady as not_ready:
        problems = {}
        for problem in not_ready.problems:
            problems.setdefault(problem.item.id, []).append(problem.message)
        return render_template(
            "inspections/run.html",
            inspection=inspection,
            groups=grouped_items(inspection.items),
            progress=progress(inspection),
            problems=problems,
            form=form,
            can_record=True,
        ), 422
    except Refused as refusal:
        flash(str(refusal), "error")
        return redirect(done_url)
    db.session.commit()
    flash(_("Inspection submitted with %(n)d findings.", n=len(findings)), "success")
    return redirect(done_url)
