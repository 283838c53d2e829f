"""Who may see and record an inspection: managers and admins see all; inspectors those they
are on and contractors' self-checks; a contractor's users their own contractor's self-checks
only. Only the inspectors on a draft record it."""

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.auth.access import EDITORS, SELF_CHECKERS, SUPERVISORS, is_contractor
from app.auth.models import Role, User
from app.catalog.models import Contractor
from app.core.extensions import db
from app.inspections.models import (
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Status,
    inspection_inspectors,
)


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


def listed_inspections(user):
    """The condition on Inspection for the inspections list: an inspector's own, all for the
    others who open it."""
    if user.role == Role.INSPECTOR:
        return Inspection.id.in_(
            sa.select(inspection_inspectors.c.inspection_id).where(
                inspection_inspectors.c.user_id == user.id
            )
        )
    return sa.true()


def visible_self_checks(user):
    """The condition on Inspection for the self-checks a user sees: a contractor's users their
    own contractor's, supervisors all."""
    condition = Inspection.self_check.is_(True)
    if is_contractor(user):
        return sa.and_(condition, Inspection.contractors.any(Contractor.id == user.contractor_id))
    return condition


def can_start_self_check(user) -> bool:
    return user.role in SELF_CHECKERS


def can_start_inspections(user) -> bool:
    """Supervisors start inspections (and see the ones they started, to check again)."""
    return user.role in SUPERVISORS


def can_edit_inspections(user) -> bool:
    """Managers reopen inspections and record external checks."""
    return user.role in EDITORS


def inspector_accounts():
    """The condition on User for those who inspect: co-inspectors offered, the list's filter."""
    return User.role == Role.INSPECTOR


def recording_refusal(status: Status, on_it: bool) -> str | None:
    """Why a user may not record an inspection in `status` (`on_it`: the user is one of its
    inspectors), or None when they may. The single-record check and the phone's fast tap
    path both ask this."""
    if status != Status.DRAFT:
        return _("This inspection is submitted; a manager must reopen it first.")
    if not on_it:
        return _("Only the inspectors on this inspection can record it.")
    return None


def refusal_to_record(inspection: Inspection, user) -> str | None:
    """recording_refusal for a loaded inspection (a submitted one's inspectors stay unloaded)."""
    on_it = inspection.status == Status.DRAFT and user in inspection.inspectors
    return recording_refusal(inspection.status, on_it)


def can_record(inspection: Inspection, user) -> bool:
    return refusal_to_record(inspection, user) is None


def on_inspection(user_id, inspection_id):
    """The SQL condition that the user is one of the inspection's inspectors."""
    return (
        sa.exists()
        .where(
            inspection_inspectors.c.inspection_id == inspection_id,
            inspection_inspectors.c.user_id == user_id,
        )
        .label("on_it")
    )


def get_inspection(inspection_id: int, *loading) -> Inspection:
    """The inspection if the user may see it (else 404), loaded with the `loading` options."""
    inspection = db.session.get(Inspection, inspection_id, options=loading)
    if inspection is None or not can_see_inspection(current_user, inspection):
        abort(404)
    return inspection


def get_item(inspection_id: int, item_id: int) -> InspectionItem:
    # The item holds its inspection, so the session keeps it (it keeps unreferenced objects
    # only weakly): loaded the other way round, the inspection was loaded twice per tap. Both
    # come in one statement: the check below always reads the inspection.
    item = db.session.get(InspectionItem, item_id, options=[joinedload(InspectionItem.inspection)])
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
