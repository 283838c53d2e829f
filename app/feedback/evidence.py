"""Checks on a complaint's photo as it arrives: a photo used before on another record."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.evidence import (
    PhotoFacts,
    PhotoSource,
    mark_if_reused,
    marks_for,
    register_photo_source,
    write_mark,
)
from app.core.extensions import db
from app.feedback.models import Complaint, ComplaintPhoto
from app.inspections.evidence import KIND as INSPECTION_PHOTO
from app.inspections.models import InspectionPhoto
from app.web.links import path_for

KIND = "complaint"


def _place(photo_id: int) -> tuple[str, str]:
    complaint = db.session.scalar(
        sa.select(Complaint)
        .join(ComplaintPhoto, ComplaintPhoto.complaint_id == Complaint.id)
        .where(ComplaintPhoto.id == photo_id)
    )
    return path_for("feedback.complaint", complaint_id=complaint.id), complaint.reference


register_photo_source(
    PhotoSource(KIND, ComplaintPhoto.__table__, "complaint_id", _l("complaint"), _place)
)


def check_complaint_photo(photo: ComplaintPhoto, complaint: Complaint) -> None:
    """Mark a complaint's photo just stored (it has its id) if it was used before."""
    mark_if_reused(
        PhotoFacts.of(KIND, photo, owner_id=complaint.id, contractor_id=complaint.contractor_id)
    )


def copy_marks(originals: list[ComplaintPhoto], copies: list[InspectionPhoto]) -> None:
    """Each complaint photo's marks onto its copy on the upheld complaint's inspection (both
    have their ids), so supervisors see them on the finding, the report and the notice too.
    Without a contractor: the complaint's own photo already counts them against one."""
    marks = marks_for(KIND, (photo.id for photo in originals))
    for original, copy in zip(originals, copies, strict=True):
        for found in marks.get(original.id, []):
            write_mark(
                found.kind, INSPECTION_PHOTO, copy.id, None, found.marked_at, dict(found.detail)
            )
