"""Fix photos and the photos of notices served without signing, stored before stamping and
the reuse checks, brought up to date by core/backfill.py: stamped with what a photo sent now
is stamped with."""

from dataclasses import replace

from app.auth.models import User
from app.core.backfill import PhotoBackfill
from app.core.extensions import db
from app.core.stamping import StampFacts
from app.notices.evidence import KIND
from app.notices.lifecycle import fix_stamp_facts, receipt_stamp_facts
from app.notices.models import FixPhoto, Notice, NoticeReceipt


def _fix_facts(photo: FixPhoto) -> StampFacts:
    """As when it was sent, with the time its camera wrote (core/stamping.py stamper)."""
    sender = db.session.get(User, photo.uploaded_by_id)
    return replace(fix_stamp_facts(photo.item, sender, photo.uploaded_at), taken_at=photo.taken_at)


def _receipt_facts(receipt: NoticeReceipt) -> StampFacts:
    return receipt_stamp_facts(db.session.get(Notice, receipt.notice_id))


FIX_PHOTOS = PhotoBackfill(KIND, FixPhoto, _fix_facts)
RECEIPT_PHOTOS = PhotoBackfill(
    "receipt",
    NoticeReceipt,
    _receipt_facts,
    digest="photo_digest",
    stamped="photo_stamped_digest",
    hashed=False,  # never compared: it shows the notice being served, not a finding or a fix
)
