"""The notice and the exit warning as issued documents (see app/documents/versions.py)."""

import json

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.catalog.sites import with_path
from app.core.audit import history_of
from app.core.extensions import db
from app.core.pdf import render_pdf
from app.core.photos import read_photo, read_signature
from app.core.timeutil import utcnow
from app.documents.versions import Issued, freeze
from app.inspections.models import Finding, InspectionItem
from app.inspections.repeats import repeats_of
from app.notices.models import ExitWarning, ItemStatus, Notice, NoticeItem, NoticeStatus

# What the notice's page shows of each finding (its item, photos and place) and of each fix
# (its photos, who reported and who verified it), loaded with the notice: a notice of many
# findings costs the statements of one.
NOTICE_SHOWN = (
    selectinload(Notice.items).options(
        joinedload(NoticeItem.finding).options(
            joinedload(Finding.item).selectinload(InspectionItem.photos),
            joinedload(Finding.site).options(with_path()),
        ),
        selectinload(NoticeItem.fix_photos),
        joinedload(NoticeItem.fix_reported_by),
        joinedload(NoticeItem.verified_by),
    ),
)


def notice_context(notice: Notice) -> dict:
    """What the notice's page and its PDF show."""
    return {
        "notice": notice,
        "now": utcnow(),
        "history": history_of(notice),
        "repeats": repeats_of([item.finding for item in notice.items]),
        "warnings": db.session.scalars(
            sa.select(ExitWarning).where(ExitWarning.notice_id == notice.id)
        ).all(),
    }


def render_notice(notice: Notice, stamp=None) -> bytes:
    def photo_for(path: str):
        receipt = notice.receipt
        if (
            receipt
            and receipt.signature_digest
            and path == url_for("notices.receipt_image", notice_id=notice.id, part="signature")
        ):
            return read_signature(receipt.signature_digest)
        if (
            receipt
            and receipt.photo_digest
            and path
            == url_for("notices.receipt_image", notice_id=notice.id, part="photo", size="thumb")
        ):
            return read_photo(receipt.photo_shown_digest, thumb=True)
        for item in notice.items:
            for photo in item.finding.photos:
                if path in (
                    url_for("notices.evidence", notice_id=notice.id, photo_id=photo.id),
                    url_for(
                        "notices.evidence", notice_id=notice.id, photo_id=photo.id, size="thumb"
                    ),
                ):
                    return read_photo(photo.shown_digest, thumb="size=thumb" in path)
        return None

    return render_pdf("notices/notice_pdf.html", photo_for, stamp=stamp, **notice_context(notice))


def notice_document(notice: Notice) -> Issued | None:
    """The issued notice; a draft is no document yet. It shows its receipt and each finding's
    state, deadline and rejections: a change in any of them is a new version."""
    if notice.status == NoticeStatus.DRAFT:
        return None
    shown = {
        "status": notice.status.value,
        "received": notice.acknowledged_at.isoformat() if notice.acknowledged_at else None,
        "items": [
            [item.id, item.status.value, item.deadline.isoformat(), item.rejections]
            for item in notice.items
        ],
    }
    accepted = sum(item.status == ItemStatus.ACCEPTED for item in notice.items)
    label = notice.status.label
    if notice.receipt and notice.receipt.served_without_signing and notice.is_open:
        label = notice.receipt.way.label  # served all the same: not "acknowledged"
    if notice.status == NoticeStatus.ACKNOWLEDGED:
        label = _(
            "%(state)s, %(n)d of %(total)d findings accepted",
            state=label,
            n=accepted,
            total=len(notice.items),
        )
    return Issued(
        kind="notice",
        record_id=notice.id,
        number=notice.number,
        addressee=notice.contractor.name,
        dated=notice.issued_at,
        state_key=json.dumps(shown, sort_keys=True),
        state_label=str(label),
        render=lambda stamp: render_notice(notice, stamp),
    )


def warning_document(warning: ExitWarning) -> Issued:
    """An exit warning never changes once issued: one version."""
    return Issued(
        kind="warning",
        record_id=warning.id,
        number=warning.number,
        addressee=warning.contractor.name,
        dated=warning.issued_at,
        state_key="issued",
        state_label=_("Issued"),
        render=lambda stamp: render_pdf("notices/warning_pdf.html", warning=warning, stamp=stamp),
    )


def keep_documents(notice: Notice, result=None) -> None:
    """After a change to a notice: a new version of it if what it shows has changed, and the
    first of an exit warning the change raised."""
    document = notice_document(notice)
    if document is not None:
        freeze(document)
    if isinstance(result, ExitWarning):
        freeze(warning_document(result))


def keep_warnings(warnings: list[ExitWarning]) -> None:
    """The first version of each exit warning escalation raised."""
    for warning in warnings:
        freeze(warning_document(warning))
