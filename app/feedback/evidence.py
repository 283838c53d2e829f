"""Checks on a complaint's photo as it arrives: a photo used before on another record."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.evidence import PhotoFacts, PhotoSource, mark_if_reused, register_photo_source
from app.core.extensions import db
from app.feedback.models import Complaint, ComplaintPhoto
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
