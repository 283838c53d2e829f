"""An external checker on a guest link: this one checklist, until the link expires, on the
same screens (and the same offline outbox) as an inspector, without an account."""

from flask import abort, g, render_template, request

from app.core.extensions import db
from app.core.photos import send_photo
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
from app.inspections.external import valid_pass
from app.inspections.models import Inspection, InspectionItem, InspectionPhoto
from app.inspections.urls import checklist_url
from app.web.offline import offline_page, outbox_session


def _grant(token: str, inspection_id: int | None = None):
    grant = valid_pass(token)
    if grant is None:
        abort(410)
    if inspection_id is not None and inspection_id != grant.inspection_id:
        abort(404)
    g.guest_token = token
    return grant


def _item(grant, item_id: int) -> InspectionItem:
    item = db.session.get(InspectionItem, item_id)
    if item is None or item.inspection_id != grant.inspection_id:
        abort(404)
    return item


def _photo(grant, photo_id: int) -> InspectionPhoto:
    photo = db.session.get(InspectionPhoto, photo_id)
    if photo is None or photo.item.inspection_id != grant.inspection_id:
        abort(404)
    return photo


@bp.get("/guest/<token>", endpoint="guest_run")
@bp.get("/guest/<token>/<int:inspection_id>", endpoint="guest_run")
def guest_run(token: str, inspection_id: int | None = None):
    grant = _grant(token, inspection_id)
    inspection = db.session.get(Inspection, grant.inspection_id)
    if not inspection.is_draft:
        return render_template("inspections/guest_done.html", grant=grant), 200
    page = checklist_page(
        inspection,
        can_record=True,
        guest=grant,
        sync_user=grant.guest_id,
        show_sync=True,
        sync_session_url=checklist_url("session"),
    )
    return offline_page(page)


@bp.get("/guest/<token>/session", endpoint="guest_session")
def guest_session(token: str):
    grant = valid_pass(token)
    return outbox_session(grant.guest_id if grant else None)


@bp.post("/guest/<token>/<int:inspection_id>/items/<int:item_id>/answer")
def guest_answer(token: str, inspection_id: int, item_id: int):
    grant = _grant(token, inspection_id)
    return save_answer(inspection_id, item_id, grant.guest, lambda: _item(grant, item_id))


@bp.post("/guest/<token>/<int:inspection_id>/answers")
def guest_answer_on_page(token: str, inspection_id: int):
    grant = _grant(token, inspection_id)
    return save_answer_on_page(inspection_id, grant.guest, lambda item_id: _item(grant, item_id))


@bp.post("/guest/<token>/<int:inspection_id>/items/<int:item_id>/note")
def guest_note(token: str, inspection_id: int, item_id: int):
    grant = _grant(token, inspection_id)
    return save_note(_item(grant, item_id), grant.guest)


@bp.post("/guest/<token>/<int:inspection_id>/items/<int:item_id>/photos")
def guest_upload_photo(token: str, inspection_id: int, item_id: int):
    grant = _grant(token, inspection_id)
    return save_photos(_item(grant, item_id), grant.guest)


@bp.route("/guest/<token>/photos/<int:photo_id>/markup", methods=["GET", "POST"])
def guest_markup_photo(token: str, photo_id: int):
    grant = _grant(token)
    photo = _photo(grant, photo_id)
    if request.method == "GET":
        return picture_to_mark_up(photo, grant.guest)
    return replace_with_marked_up(photo, grant.guest)


@bp.post("/guest/<token>/photos/<int:photo_id>/delete")
def guest_delete_photo(token: str, photo_id: int):
    grant = _grant(token)
    return drop_photo(_photo(grant, photo_id), grant.guest)


@bp.get("/guest/<token>/photos/<int:photo_id>")
def guest_photo(token: str, photo_id: int):
    photo = _photo(_grant(token), photo_id)
    return send_photo(photo.shown_digest, thumb=request.args.get("size") == "thumb")


@bp.post("/guest/<token>/<int:inspection_id>/submit")
def guest_submit_inspection(token: str, inspection_id: int):
    grant = _grant(token, inspection_id)
    return finish(grant.inspection, grant.guest, checklist_url("run"))
