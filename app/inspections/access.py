"""Who may see an inspection: managers and admins all; inspectors those they are on and
contractors' self-checks; a contractor's users their own contractor's self-checks only."""

from flask import abort
from flask_login import current_user

from app.auth.access import EDITORS, is_contractor
from app.auth.models import Role
from app.core.extensions import db
from app.inspections.models import Inspection, InspectionItem, InspectionPhoto


def can_see_inspection(user, inspection: Inspection) -> bool:
    if user.role in EDITORS:
        return True
    if user.role == Role.INSPECTOR:
        return inspection.self_check or any(p.id == user.id for p in inspection.inspectors)
    if is_contractor(user):
        return inspection.self_check and any(
            c.id == user.contractor_id for c in inspection.contractors
        )
    return False


def get_inspection(inspection_id: int) -> Inspection:
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or not can_see_inspection(current_user, inspection):
        abort(404)
    return inspection


def get_item(inspection_id: int, item_id: int) -> InspectionItem:
    # The item holds its inspection, so the session keeps it (it keeps unreferenced objects
    # only weakly): loaded the other way round, the inspection was loaded twice per tap.
    item = db.session.get(InspectionItem, item_id)
    if (
        item is None
        or item.inspection_id != inspection_id
        or not can_see_inspection(current_user, item.inspection)
    ):
        abort(404)
    return item


def get_photo(photo_id: int) -> InspectionPhoto:
    photo = db.session.get(InspectionPhoto, photo_id)
    if photo is None or not can_see_inspection(current_user, photo.item.inspection):
        abort(404)
    return photo
