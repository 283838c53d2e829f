"""Checks on a checklist photo as it arrives: taken far from the item's place, used before,
taken long before it was sent, or (when managers require the camera) not taken there and then."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.catalog.rules import evidence_policy
from app.core.evidence import (
    PhotoFacts,
    PhotoSource,
    mark_if_far,
    mark_if_not_taken_now,
    mark_if_reused,
    mark_if_taken_long_before,
    register_photo_source,
)
from app.core.extensions import db
from app.inspections.models import InspectionItem, InspectionPhoto
from app.web.links import path_for

KIND = "inspection"


def _place(photo_id: int) -> tuple[str, str]:
    inspection_id = db.session.scalar(
        sa.select(InspectionItem.inspection_id)
        .join(InspectionPhoto, InspectionPhoto.item_id == InspectionItem.id)
        .where(InspectionPhoto.id == photo_id)
    )
    return path_for("inspections.report", inspection_id=inspection_id), f"#{inspection_id}"


register_photo_source(
    PhotoSource(KIND, InspectionPhoto.__table__, "item_id", _l("inspection"), _place)
)


def check_photo(photo: InspectionPhoto) -> None:
    """Mark what is odd about a photo just stored on its item (the photo has its id)."""
    item, rules = photo.item, evidence_policy()
    facts = PhotoFacts.of(KIND, photo, owner_id=item.id, contractor_id=item.contractor_id)
    mark_if_far(facts, item.site.location if item.site else None, rules.presence_radius_m)
    mark_if_reused(facts)
    long_before = mark_if_taken_long_before(facts, rules.exif_gap)
    if rules.camera_required and not long_before:
        mark_if_not_taken_now(facts, rules.not_taken_now)
