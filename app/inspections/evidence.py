"""Checks on a checklist photo as it arrives: taken far from the item's place, used before,
taken long before it was sent, or (when managers require the camera) not taken there and then;
and on the scan of a place's QR code that starts or continues an inspection: made far from it."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.catalog.models import Site
from app.catalog.rules import evidence_policy
from app.core.evidence import (
    PhotoFacts,
    PhotoSource,
    Position,
    mark_check_in_if_far,
    mark_if_far,
    mark_if_not_taken_now,
    mark_if_reused,
    mark_if_taken_long_before,
    register_marked_table,
    register_photo_source,
)
from app.core.extensions import db
from app.inspections.models import Inspection, InspectionItem, InspectionPhoto
from app.web.links import path_for

KIND = "inspection"
# a check-in's mark names the inspection it started or continued
CHECK_IN = "check_in"


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
register_marked_table(CHECK_IN, Inspection.__table__)


def check_photo(photo: InspectionPhoto) -> None:
    """Mark what is odd about a photo just stored on its item (the photo has its id)."""
    item, rules = photo.item, evidence_policy()
    facts = PhotoFacts.of(KIND, photo, owner_id=item.id, contractor_id=item.contractor_id)
    mark_if_far(facts, item.site.location if item.site else None, rules.presence_radius_m)
    mark_if_reused(facts)
    long_before = mark_if_taken_long_before(facts, rules.exif_gap)
    if rules.camera_required and not long_before:
        mark_if_not_taken_now(facts, rules.not_taken_now)


def record_check_in(
    inspection: Inspection, site: Site, at: datetime, position: Position | None
) -> None:
    """A scan of the place's QR code on the inspection (which has its id): the first scan's
    time, where the phone was at the latest scan that told, and a mark for each scan made
    farther from the place than the managers' radius plus the phone's accuracy."""
    if inspection.scanned_at is None:
        inspection.scanned_at = at
    if position is not None:
        inspection.scan_latitude = position.latitude
        inspection.scan_longitude = position.longitude
        inspection.scan_accuracy_m = position.accuracy_m
    radius_m = evidence_policy().presence_radius_m
    mark_check_in_if_far(CHECK_IN, inspection.id, position, site.location, radius_m, at)
