"""The life of a rectification notice, as plain functions the views and tests call.

draft → issued → acknowledged → closed. Each finding on an acknowledged notice goes
open → fix reported → accepted, or back to open with a new deadline when the fix is rejected.
A notice whose open finding is past its deadline is overdue; `escalate` records that, and
a fix rejected too often or a notice overdue too long raises a written exit warning.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.core.audit import AuditEvent, record_event
from app.core.evidence import Position
from app.core.extensions import db
from app.core.photos import photo_rows, store_photo, store_signature
from app.core.refusals import Refused, require
from app.core.stamping import StampFacts, stamper
from app.core.timeutil import LOCAL_TZ, as_utc, utcnow
from app.inspections.models import Finding, Inspection
from app.inspections.recording import reopening
from app.notices.access import (
    can_acknowledge,
    can_report_fix,
    is_contractors_own,
    receives_notices,
    supervises_notices,
)
from app.notices.deadlines import MAX_HOURS, deadline_hours, notice_policy
from app.notices.evidence import check_fix_photo
from app.notices.models import (
    ExitWarning,
    FixPhoto,
    ItemStatus,
    Notice,
    NoticeItem,
    NoticeReceipt,
    NoticeStatus,
    ReceiptWay,
    WarningReason,
)
from app.notices.numbering import next_serial
from app.notices.telling import (
    tell_fix_rejected,
    tell_fix_reported,
    tell_issued,
    tell_overdue,
    tell_warning,
)

MAX_TEXT = 2000


def _event(notice, action, user, now, *, before=None, detail=""):
    record_event(
        action,
        notice,
        from_state=before,
        to_state=notice.status.value,
        detail=detail,
        actor=user,
        at=now,
    )


def findings_without_notice(contractor_id: int) -> list[Finding]:
    taken = sa.select(NoticeItem.finding_id)
    return list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.contractor_id == contractor_id, Finding.id.not_in(taken))
            .order_by(Finding.found_at, Finding.id)
        )
    )


def draft_notices(inspection: Inspection, user: User, now: datetime | None = None):
    """One draft per contractor from a submitted inspection's findings not yet on a notice.

    The draft shows the deadline the rules give; issuing restarts that clock unless a
    reviewer set the deadline by hand.
    """
    now = now or utcnow()
    require(supervises_notices(user), _("Only supervisors draft notices."))
    require(not inspection.is_draft, _("Submit the inspection first."))
    taken = set(db.session.scalars(sa.select(NoticeItem.finding_id)))
    by_contractor: dict[int, list[Finding]] = {}
    for finding in inspection.findings:
        if finding.contractor_id is not None and finding.id not in taken:
            by_contractor.setdefault(finding.contractor_id, []).append(finding)
    drafts = []
    for contractor_id, findings in by_contractor.items():
        hours = min(deadline_hours(f) for f in findings)
        notice = Notice(
            contractor_id=contractor_id,
            inspection=inspection,
            status=NoticeStatus.DRAFT,
            deadline=now + timedelta(hours=hours),
            created_by=user,
            created_at=now,
        )
        notice.items = [NoticeItem(finding=f, deadline=notice.deadline) for f in findings]
        db.session.add(notice)
        _event(notice, "notice_drafted", user, now, detail=f"findings={len(findings)}")
        drafts.append(notice)
    return drafts


def _editable(notice: Notice, user: User) -> None:
    require(supervises_notices(user), _("Only supervisors edit a draft notice."))
    require(notice.status == NoticeStatus.DRAFT, _("Only a draft notice can be changed."))


def add_finding(notice: Notice, finding: Finding, user: User) -> None:
    _editable(notice, user)
    require(
        finding.contractor_id == notice.contractor_id,
        _("The finding belongs to another contractor."),
    )
    taken = db.session.scalar(sa.select(NoticeItem.id).where(NoticeItem.finding_id == finding.id))
    require(taken is None, _("The finding is already on a notice."))
    notice.items.append(NoticeItem(finding=finding, deadline=notice.deadline))


def remove_item(item: NoticeItem, user: User) -> None:
    _editable(item.notice, user)
    item.notice.items.remove(item)


def _require_within_reach(deadline: datetime, now: datetime) -> None:
    """A deadline set by hand lies no further ahead than the longest a rule may give."""
    require(
        as_utc(deadline) <= now + timedelta(hours=MAX_HOURS),
        _("A deadline can be at most a year away."),
    )


def set_deadline(
    notice: Notice, deadline: datetime, reason: str, user: User, now: datetime | None = None
) -> None:
    """Change a draft's deadline; the reason is kept on the notice and in its history."""
    now = now or utcnow()
    _editable(notice, user)
    reason = (reason or "").strip()[:MAX_TEXT]
    require(bool(reason), _("Give the reason for changing the deadline."))
    require(as_utc(deadline) > now, _("The deadline must be in the future."))
    _require_within_reach(deadline, now)
    notice.deadline = deadline
    notice.deadline_reason = reason
    for item in notice.items:
        item.deadline = deadline
    _event(
        notice,
        "notice_deadline_changed",
        user,
        now,
        detail=f"{deadline.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} {reason}",
    )


def issue(notice: Notice, user: User, now: datetime | None = None) -> None:
    """Give the notice its yearly number and send it to the contractor."""
    now = now or utcnow()
    _editable(notice, user)
    require(bool(notice.items), _("A notice needs at least one finding."))
    if not notice.deadline_reason:
        # The rules' time runs from issue: a draft reviewed late must not cut it short.
        hours = min(deadline_hours(item.finding) for item in notice.items)
        notice.deadline = now + timedelta(hours=hours)
    require(as_utc(notice.deadline) > now, _("The deadline has passed; set a new one."))
    notice.year = now.astimezone(LOCAL_TZ).year
    notice.serial = next_serial("notice", notice.year)
    notice.status = NoticeStatus.ISSUED
    notice.issued_at, notice.issued_by = now, user
    for item in notice.items:
        item.deadline = notice.deadline
    _event(
        notice, "notice_issued", user, now, before=NoticeStatus.DRAFT.value, detail=notice.number
    )
    tell_issued(notice)


def _contractors_own(notice: Notice, user: User) -> None:
    require(is_contractors_own(notice, user), _("Only the contractor's own users can do this."))


def note_first_opening(notice: Notice, user: User) -> None:
    """Record when one of the contractor's users first opened the issued notice (proof it
    reached them). Reading the page is what records it, so this commits itself."""
    if not receives_notices(user) or notice.status == NoticeStatus.DRAFT:
        return
    opened = sa.select(AuditEvent.id).where(
        AuditEvent.object_type == "notices",
        AuditEvent.object_id == notice.id,
        AuditEvent.action == "notice_opened",
    )
    if db.session.scalar(opened) is None:
        record_event("notice_opened", notice, actor=user)
        db.session.commit()


def acknowledge(
    notice: Notice,
    user: User,
    now: datetime | None = None,
    *,
    signature: bytes | None = None,
    address: str = "",
) -> None:
    """The contractor signs for the notice: with a drawn signature (a PNG) or by confirming."""
    now = now or utcnow()
    _contractors_own(notice, user)
    require(
        can_acknowledge(notice, user), _("This notice is not waiting for you to acknowledge it.")
    )
    way = ReceiptWay.SIGNED if signature else ReceiptWay.CONFIRMED
    notice.receipt = NoticeReceipt(
        way=way,
        recorded_by=user,
        recorded_at=now,
        address=address[:45],
        signature_digest=store_signature(signature) if signature else None,
    )
    notice.status = NoticeStatus.ACKNOWLEDGED
    notice.acknowledged_at, notice.acknowledged_by = now, user
    _event(
        notice, "notice_acknowledged", user, now, before=NoticeStatus.ISSUED.value, detail=way.value
    )


def record_unsigned_service(
    notice: Notice,
    user: User,
    way: ReceiptWay,
    witness: str,
    photo: bytes | None,
    note: str = "",
    *,
    address: str = "",
    now: datetime | None = None,
    original: bytes | None = None,
) -> None:
    """An inspector records that the contractor refused to sign or could not be reached, before
    a witness and with a photo taken there (stamped; with its unmarked `original` if the phone
    marked it up); the notice counts as served from then."""
    now = now or utcnow()
    require(supervises_notices(user), _("Only supervisors record how a notice was served."))
    require(
        way in (ReceiptWay.REFUSED, ReceiptWay.UNREACHABLE),
        _("Choose refused or could not be served."),
    )
    require(notice.status == NoticeStatus.ISSUED, _("This notice is not waiting to be served."))
    witness = (witness or "").strip()[:200]
    require(bool(witness), _("Name the witness."))
    require(bool(photo), _("Add a photo taken on the spot."))
    stored = store_photo(photo)
    notice.receipt = NoticeReceipt(
        way=way,
        recorded_by=user,
        recorded_at=now,
        address=address[:45],
        witness=witness,
        photo_digest=stored.digest,
        photo_original_digest=store_photo(original).digest if original else None,
        note=(note or "").strip()[:MAX_TEXT],
    )
    notice.receipt.photo_stamped_digest = stamper(receipt_stamp_facts(notice))(stored)
    notice.status = NoticeStatus.ACKNOWLEDGED
    notice.acknowledged_at = now
    _event(notice, f"notice_{way.value}", user, now, detail=witness)


UNSIGNED_WAYS = {ReceiptWay.REFUSED: "拒绝签收", ReceiptWay.UNREACHABLE: "无法送达"}


def receipt_stamp_facts(notice: Notice) -> StampFacts:
    """What the stamp on the photo of a notice served without signing says, from the records."""
    receipt = notice.receipt
    return StampFacts(
        received_at=receipt.recorded_at,
        place=_places(notice.items),
        taken_by=receipt.recorded_by.display_name,
        subject=f"{notice.number} {UNSIGNED_WAYS[receipt.way]}，见证人 {receipt.witness}",
    )


def fix_stamp_facts(item: NoticeItem, user: User, now: datetime) -> StampFacts:
    """What the stamp on a photo of a fix says, from the records (the camera adds its time)."""
    return StampFacts(
        received_at=now,
        place=_places([item]),
        taken_by=user.display_name,
        subject=f"{item.notice.number} {item.finding.title}",
    )


def _places(items: list[NoticeItem]) -> str:
    paths = dict.fromkeys(item.finding.site.path for item in items if item.finding.site)
    return "；".join(paths)


def report_fix(
    item: NoticeItem,
    user: User,
    note: str,
    photos: list[bytes],
    now: datetime | None = None,
    originals: Sequence[bytes | None] = (),
    position: Position | None = None,
) -> None:
    """The contractor says a finding is put right, with a note and at least one photo (each
    stamped; with its unmarked original, in `originals`, if the phone marked it up); what is
    odd about a photo is marked for the supervisors (notices/evidence.py)."""
    now = now or utcnow()
    notice = item.notice
    _contractors_own(notice, user)
    require(notice.status == NoticeStatus.ACKNOWLEDGED, _("Acknowledge the notice first."))
    require(can_report_fix(item, user), _("This finding is not waiting for a fix."))
    note = (note or "").strip()[:MAX_TEXT]
    require(bool(note), _("Say what was done."))
    require(bool(photos), _("Add at least one photo of the fix."))
    where = vars(position) if position else {}
    rows = photo_rows(
        FixPhoto,
        photos,
        stamp=stamper(fix_stamp_facts(item, user, now)),
        originals=originals,
        uploaded_by_id=user.id,
        uploaded_at=now,
        **where,
    )
    item.fix_photos.extend(rows)
    db.session.flush()
    for row in rows:
        check_fix_photo(row, item)
    item.status = ItemStatus.FIX_REPORTED
    item.fix_note, item.fix_reported_at, item.fix_reported_by = note, now, user
    _event(notice, "fix_reported", user, now, detail=item.finding.title)
    tell_fix_reported(item)


def accept_fix(item: NoticeItem, user: User, now: datetime | None = None) -> None:
    """An inspector confirms the fix on site; the notice closes with its last finding."""
    now = now or utcnow()
    require(supervises_notices(user), _("Only supervisors verify fixes."))
    require(item.status == ItemStatus.FIX_REPORTED, _("No fix is waiting to be verified."))
    item.status = ItemStatus.ACCEPTED
    item.verified_at, item.verified_by = now, user
    notice = item.notice
    _event(notice, "fix_accepted", user, now, detail=item.finding.title)
    if all(i.status == ItemStatus.ACCEPTED for i in notice.items):
        before = notice.status.value
        notice.status = NoticeStatus.CLOSED
        notice.closed_at = now
        _event(notice, "notice_closed", user, now, before=before)


def reject_fix(
    item: NoticeItem, user: User, reason: str, new_deadline: datetime, now: datetime | None = None
) -> ExitWarning | None:
    """Send a fix back with a reason and a new deadline; too many rejections warn the contractor."""
    now = now or utcnow()
    require(supervises_notices(user), _("Only supervisors verify fixes."))
    require(item.status == ItemStatus.FIX_REPORTED, _("No fix is waiting to be verified."))
    reason = (reason or "").strip()[:MAX_TEXT]
    require(bool(reason), _("Give the reason for rejecting the fix."))
    require(as_utc(new_deadline) > now, _("The new deadline must be in the future."))
    _require_within_reach(new_deadline, now)
    item.status = ItemStatus.OPEN
    item.rejections += 1
    item.rejection_reason = reason
    item.deadline = new_deadline
    item.verified_at, item.verified_by = now, user
    _event(item.notice, "fix_rejected", user, now, detail=f"{item.finding.title}：{reason}")
    tell_fix_rejected(item)
    if item.rejections >= notice_policy().warning_after_rejections:
        return raise_warning(
            item.notice, WarningReason.TOO_MANY_REJECTIONS, now, item=item, detail=reason
        )
    return None


def raise_warning(
    notice: Notice, reason: WarningReason, now: datetime, *, item=None, detail: str = ""
) -> ExitWarning | None:
    """Issue a written exit warning unless this one has been issued already."""
    exists = sa.select(ExitWarning.id).where(
        ExitWarning.notice_id == notice.id, ExitWarning.reason == reason
    )
    if item is not None:
        exists = exists.where(ExitWarning.notice_item_id == item.id)
    if db.session.scalar(exists) is not None:
        return None
    year = now.astimezone(LOCAL_TZ).year
    warning = ExitWarning(
        contractor_id=notice.contractor_id,
        notice=notice,
        notice_item=item,
        reason=reason,
        year=year,
        serial=next_serial("warning", year),
        detail=detail[:MAX_TEXT],
        issued_at=now,
    )
    db.session.add(warning)
    db.session.flush()
    record_event(
        "exit_warning",
        notice,
        to_state=notice.status.value,
        detail=f"{warning.number} {reason.value}",
        at=now,
    )
    tell_warning(warning)
    return warning


def escalate(now: datetime | None = None) -> tuple[list[Notice], list[ExitWarning]]:
    """Mark newly overdue notices and warn on those overdue too long. Safe to run again."""
    now = now or utcnow()
    limit = timedelta(days=notice_policy().overdue_warning_days)
    marked, warnings = [], []
    open_notices = db.session.scalars(
        sa.select(Notice).where(Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED)))
    )
    for notice in open_notices:
        if not notice.is_overdue(now):
            continue
        if notice.overdue_at is None:
            notice.overdue_at = now
            record_event(
                "notice_overdue",
                notice,
                to_state=notice.status.value,
                at=now,
                detail=f"{notice.next_deadline().astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            )
            tell_overdue(notice)
            marked.append(notice)
        if now - notice.next_deadline() >= limit:
            warning = raise_warning(notice, WarningReason.LONG_OVERDUE, now, detail=notice.number)
            if warning is not None:
                warnings.append(warning)
    return marked, warnings


@reopening.connect
def withdraw_from_draft_notices(inspection: Inspection) -> None:
    """Take a reopened inspection's findings off draft notices; an issued notice stands, so
    reopening is refused."""
    for finding in inspection.findings:
        for item in db.session.scalars(
            sa.select(NoticeItem).where(NoticeItem.finding_id == finding.id)
        ):
            if item.notice.status != NoticeStatus.DRAFT:
                raise Refused(
                    _(
                        "A finding is on issued notice %(number)s; it cannot be reopened.",
                        number=item.notice.number,
                    )
                )
            notice = item.notice
            notice.items.remove(item)
            if not notice.items:
                db.session.delete(notice)
    db.session.flush()
