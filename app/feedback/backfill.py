"""Complaints' photos stored before stamping and the reuse checks, brought up to date by
core/backfill.py: stamped with what a photo sent now is stamped with, and so are their copies
on the inspection of an upheld complaint."""

import sqlalchemy as sa

from app.auth.models import User
from app.core.backfill import PhotoBackfill
from app.core.extensions import db
from app.core.stamping import StampFacts
from app.feedback.complaints import stamp_facts
from app.feedback.evidence import KIND
from app.feedback.models import Complaint, ComplaintPhoto
from app.inspections.models import InspectionItem, InspectionPhoto


def _facts(photo: ComplaintPhoto) -> StampFacts:
    sender = db.session.get(User, photo.uploaded_by_id) if photo.uploaded_by_id else None
    return stamp_facts(db.session.get(Complaint, photo.complaint_id), sender, photo.uploaded_at)


def _stamp_copies_on_the_upheld_inspection(photo: ComplaintPhoto) -> None:
    """Upholding a complaint put its photos on an inspection as they were, stamped copy and
    all (complaints.uphold): the copies get this photo's stamped copy, which names who took
    it, rather than one of their own naming the manager who upheld the complaint."""
    inspection_id = db.session.get(Complaint, photo.complaint_id).inspection_id
    if inspection_id is None:
        return
    items = sa.select(InspectionItem.id).where(InspectionItem.inspection_id == inspection_id)
    db.session.execute(
        sa.update(InspectionPhoto)
        .where(
            InspectionPhoto.item_id.in_(items),
            InspectionPhoto.digest == photo.digest,
            InspectionPhoto.stamped_digest.is_(None),
        )
        .values(stamped_digest=photo.stamped_digest)
    )


COMPLAINT_PHOTOS = PhotoBackfill(
    KIND, ComplaintPhoto, _facts, then=_stamp_copies_on_the_upheld_inspection
)
