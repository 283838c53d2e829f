"""Checks on a contractor's fix photo as it arrives: used before, taken before the notice was
issued, taken long before it was sent, or taken far from the finding's place."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.catalog.rules import evidence_policy
from app.core.evidence import (
    PhotoFacts,
    PhotoSource,
    mark_if_far,
    mark_if_reused,
    mark_if_taken_before,
    mark_if_taken_long_before,
    register_photo_source,
)
from app.core.extensions import db
from app.notices.models import FixPhoto, Notice, NoticeItem
from app.web.links import path_for

KIND = "fix"


def _place(photo_id: int) -> tuple[str, str]:
    notice = db.session.scalar(
        sa.select(Notice)
        .join(NoticeItem, NoticeItem.notice_id == Notice.id)
        .join(FixPhoto, FixPhoto.item_id == NoticeItem.id)
        .where(FixPhoto.id == photo_id)
    )
    return path_for("notices.notice", notice_id=notice.id), notice.number


register_photo_source(PhotoSource(KIND, FixPhoto.__table__, "item_id", _l("notice"), _place))


def check_fix_photo(photo: FixPhoto, item: NoticeItem) -> None:
    """Mark what is odd about a fix photo just stored (the photo has its id)."""
    notice, rules = item.notice, evidence_policy()
    facts = PhotoFacts.of(KIND, photo, owner_id=item.id, contractor_id=notice.contractor_id)
    site = item.finding.site
    mark_if_far(facts, site.location if site else None, rules.presence_radius_m)
    mark_if_reused(facts)
    mark_if_taken_before(facts, notice.issued_at)
    mark_if_taken_long_before(facts, rules.exif_gap)
