"""Recording an inspection: answers, notes and photos as they are tapped; submit and reopen."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.core.audit import record_event
from app.core.evidence import Position
from app.core.extensions import db, insert_or_skip
from app.core.photos import store_photo
from app.core.refusals import Refused
from app.core.stamping import StampFacts, stamp_photo
from app.core.timeutil import as_utc, utcnow
from app.inspections.access import (
    can_edit_inspections,
    on_inspection,
    recording_refusal,
    refusal_to_record,
)
from app.inspections.evidence import check_photo
from app.inspections.models import (
    Answer,
    AnswerRecord,
    Finding,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Status,
)

MAX_NOTE = 2000

# Sent with a submitted inspection about to be reopened, before its findings are withdrawn;
# a receiver refuses (raises Refused) to keep it closed. The notices connect to it.
reopening = Namespace().signal("inspection-reopening")


@dataclass
class Problem:
    item: InspectionItem
    message: str


def ensure_can_record(inspection: Inspection, user: User) -> None:
    refusal = refusal_to_record(inspection, user)
    if refusal:
        raise Refused(refusal)


def record_answer(
    item: InspectionItem,
    answer: Answer,
    user: User,
    *,
    answered_at: datetime | None = None,
    client_uuid: str | None = None,
) -> bool:
    """Save one tap: pass, fail or not applicable (False: a replay, which changes nothing)."""
    ensure_can_record(item.inspection, user)
    db.session.flush()  # the item may be new
    stored, stands = store_answer(
        item.id, answer, user.id, answered_at=answered_at, client_uuid=client_uuid
    )
    if stands:  # what the UPDATE wrote, without reading the item again
        set_committed_value(item, "answer", Answer(answer))
        set_committed_value(item, "answered_at", stands)
        set_committed_value(item, "answered_by_id", user.id)
    db.session.expire(item, ["answered_by", "history"])
    return stored


def tap_target(inspection_id: int, item_id: int, user: User) -> bool | None:
    """Whether a tap on this item can be stored without loading the item, its inspection or
    its inspectors: one statement fetches what ensure_can_record asks recording_refusal
    about (the inspection's status, and whether the user is on it). True when the item has
    no answer yet (what is stored is then what the phone already shows), False when it has;
    None when the item is not in that inspection or the check fails: the caller then loads
    the item and goes through record_answer, which says why."""
    row = db.session.execute(_TAP_TARGET, {"item_id": item_id, "user_id": user.id}).one_or_none()
    if row is None or row.inspection_id != inspection_id:
        return None
    if recording_refusal(row.status, row.on_it):
        return None
    return row.answered_at is None


def store_answer(
    item_id: int,
    answer: Answer,
    user_id: int,
    *,
    answered_at: datetime | None = None,
    client_uuid: str | None = None,
) -> tuple[bool, datetime | None]:
    """Write a tap the caller has checked: its record in the item's history, once per client
    UUID, and the item's answer if this tap is the latest (by the phone's clock) of all its
    taps, decided by the UPDATE itself, so two inspectors' taps at once cannot both win.
    Returns (stored: False for a replay, the tap's time if it now stands)."""
    now = utcnow()
    tapped = min(as_utc(answered_at).astimezone(UTC), now) if answered_at else now
    inserted = db.session.scalar(
        insert_or_skip(AnswerRecord.__table__),
        {
            "item_id": item_id,
            "answer": Answer(answer),
            "answered_at": tapped,
            "recorded_at": now,
            "user_id": user_id,
            "client_uuid": client_uuid,
        },
    )
    if inserted is None:
        return False, None
    updated = db.session.execute(
        _LATEST_ANSWER,
        {"item_id": item_id, "new_answer": Answer(answer), "tapped": tapped, "user_id": user_id},
    )
    return True, tapped if updated.rowcount else None


# A tap's statements, built once: each tap runs them as they are with its own parameters.
_items = InspectionItem.__table__
_inspections = Inspection.__table__
_TAP_TARGET = (
    sa.select(
        _items.c.inspection_id,
        _items.c.answered_at,
        _inspections.c.status,
        on_inspection(sa.bindparam("user_id"), _items.c.inspection_id),
    )
    .join(_inspections, _inspections.c.id == _items.c.inspection_id)
    .where(_items.c.id == sa.bindparam("item_id"))
)
_LATEST_ANSWER = (
    sa.update(_items)
    .where(
        _items.c.id == sa.bindparam("item_id"),
        sa.or_(
            _items.c.answered_at.is_(None),
            _items.c.answered_at <= sa.bindparam("tapped", type_=_items.c.answered_at.type),
        ),
    )
    .values(
        answer=sa.bindparam("new_answer", type_=_items.c.answer.type),
        answered_at=sa.bindparam("tapped", type_=_items.c.answered_at.type),
        answered_by_id=sa.bindparam("user_id"),
    )
)


def record_note(item: InspectionItem, note: str, user: User) -> None:
    ensure_can_record(item.inspection, user)
    item.note = (note or "").strip()[:MAX_NOTE]


def attach_photo(
    item: InspectionItem,
    data: bytes,
    user: User,
    *,
    taken_at: datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    client_uuid: str | None = None,
    original: bytes | None = None,
) -> InspectionPhoto:
    """Store a photo on the item (Refused, with 422, if it is not a good one), with its
    stamped copy and the unmarked `original` when the phone marked the photo up, and mark
    what is odd about it (inspections/evidence.py).

    The camera's own time wins over the time the browser reports; the position is the
    phone's Geolocation API's, read as every form reads one (Position.read: what is no place
    on Earth is left out, the photo kept), never the file's, whose location tags are stripped.
    """
    ensure_can_record(item.inspection, user)
    if client_uuid:
        replayed = db.session.scalar(
            sa.select(InspectionPhoto).where(InspectionPhoto.client_uuid == client_uuid)
        )
        if replayed is not None:
            return replayed
    stored = store_photo(data)
    position = Position.read(latitude, longitude, accuracy_m)
    photo = InspectionPhoto(
        item=item,
        digest=stored.digest,
        width=stored.width,
        height=stored.height,
        taken_at=stored.taken_at or taken_at,
        **(vars(position) if position else {}),
        client_uuid=client_uuid,
        phash=stored.phash,
        uploaded_by=user,
        uploaded_at=utcnow(),
        original_digest=store_photo(original).digest if original else None,
    )
    db.session.add(photo)
    photo.stamped_digest = stamp_photo(stored.digest, stamp_facts(photo).lines(), stored.image)
    db.session.flush()
    check_photo(photo)
    return photo


def unmarked_picture(photo: InspectionPhoto) -> str:
    """The digest of the picture the phone marks up: the photo as first sent, never the
    marks drawn on it before, which marking up again replaces."""
    return photo.original_digest or photo.digest


def mark_up_photo(photo: InspectionPhoto, marked: bytes, user: User) -> InspectionPhoto:
    """Put the phone's marked-up copy of a photo already sent in its place, stamped anew; the
    photo as sent stays beside it as the unmarked original. Its marks stand: they were found
    on the picture as taken, and the same checks would find the same on the marked copy."""
    ensure_can_record(photo.item.inspection, user)
    stored = store_photo(marked)
    photo.original_digest = unmarked_picture(photo)
    photo.digest, photo.width, photo.height = stored.digest, stored.width, stored.height
    photo.stamped_digest = stamp_photo(stored.digest, stamp_facts(photo).lines(), stored.image)
    return photo


def stamp_facts(photo: InspectionPhoto) -> StampFacts:
    """What an inspection photo's stamp says, from the records."""
    item = photo.item
    sites = [item.site] if item.site else item.inspection.sites
    return StampFacts(
        received_at=photo.uploaded_at,
        place="；".join(site.path for site in sites),
        taken_by=photo.uploaded_by.display_name,
        subject=f"检查点 {item.code} {item.title}",
        taken_at=photo.taken_at,
        latitude=photo.latitude,
        longitude=photo.longitude,
        accuracy_m=photo.accuracy_m,
    )


def remove_photo(photo: InspectionPhoto, user: User) -> None:
    ensure_can_record(photo.item.inspection, user)
    db.session.delete(photo)


def submission_problems(inspection: Inspection) -> list[Problem]:
    """What stands between this inspection and submitting it."""
    problems = []
    for item in inspection.items:
        if item.answer is None:
            problems.append(Problem(item, _("Not answered yet.")))
        elif item.answer == Answer.FAIL:
            if not item.note.strip():
                problems.append(Problem(item, _("Describe what is wrong.")))
            if item.needs_photo and not item.photos:
                problems.append(
                    Problem(
                        item,
                        _("A %(severity)s failure needs a photo.", severity=item.severity.label),
                    )
                )
    return problems


def progress(inspection: Inspection) -> dict[str, int]:
    answered = sum(1 for item in inspection.items if item.answer is not None)
    failed = sum(1 for item in inspection.items if item.answer == Answer.FAIL)
    return {"answered": answered, "total": len(inspection.items), "failed": failed}


def progress_of(inspection_id: int) -> dict[str, int]:
    """progress() counted by the database, for an item's card: its inspection and the
    checklist's items stay unloaded."""
    counts = db.session.execute(_progress_statement(), {"inspection_id": inspection_id}).one()
    return _progress(*counts)


def _progress_counts(inspection_id) -> tuple:
    """SQL for progress(): the inspection's items, those answered and those failed.
    `inspection_id` may be a column of the statement these are put in."""
    items = aliased(InspectionItem)
    of_it = items.inspection_id == inspection_id
    return (
        sa.select(sa.func.count(items.id)).where(of_it).scalar_subquery(),
        sa.select(sa.func.count(items.answer)).where(of_it).scalar_subquery(),
        sa.select(sa.func.count(items.id))
        .where(of_it, items.answer == Answer.FAIL)
        .scalar_subquery(),
    )


def _progress(total: int, answered: int, failed: int) -> dict[str, int]:
    return {"answered": answered, "total": total, "failed": failed}


# A changed answer's statements, built once (building one cost more than running it) and
# run with each tap's parameters; built on first use, when every model is mapped.
@cache
def _progress_statement() -> sa.Select:
    return sa.select(*_progress_counts(sa.bindparam("inspection_id")))


@cache
def _tapped_item_statement() -> sa.Select:
    return (
        sa.select(InspectionItem, *_progress_counts(InspectionItem.inspection_id))
        .options(
            joinedload(InspectionItem.contractor),
            joinedload(InspectionItem.history),
            joinedload(InspectionItem.photos),
        )
        .where(InspectionItem.id == sa.bindparam("item_id"))
    )


def tapped_item(item_id: int) -> tuple[InspectionItem, dict[str, int]]:
    """The item a tap has just changed, for its card, with the contractor it names, its
    photos and answers' history, and its checklist's progress, in one statement; a tap the
    caller has checked (tap_target), so the item is not checked again."""
    rows = db.session.execute(_tapped_item_statement(), {"item_id": item_id})
    item, *counts = rows.unique().one()
    return item, _progress(*counts)


class NotReady(Refused):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def submit(inspection: Inspection, user: User, summary: str = "") -> list[Finding]:
    """Lock the inspection and turn every failure into a finding; the caller commits."""
    ensure_can_record(inspection, user)
    problems = submission_problems(inspection)
    if problems:
        raise NotReady(problems)
    inspection.status = Status.SUBMITTED
    inspection.ended_at = utcnow()
    inspection.summary = (summary or "").strip()[:MAX_NOTE]
    findings = [
        Finding(
            inspection=inspection,
            item=item,
            check_point_id=item.check_point_id,
            contractor_id=item.contractor_id,
            site_id=item.site_id,
            severity=item.severity,
            deduction=item.deduction,
            title=item.title,
            standard=item.standard,
            note=item.note,
            found_at=item.answered_at or inspection.ended_at,
        )
        for item in inspection.items
        if item.answer == Answer.FAIL
    ]
    db.session.add_all(findings)
    record_event(
        "inspection_submitted",
        inspection,
        from_state=Status.DRAFT.value,
        to_state=Status.SUBMITTED.value,
        detail=f"findings={len(findings)}",
        actor=user,
    )
    return findings


def reopen(inspection: Inspection, manager: User, reason: str) -> None:
    """Unlock a submitted inspection for correction; its findings are withdrawn until resubmit."""
    if not can_edit_inspections(manager):
        raise Refused(_("Only a manager can reopen an inspection."))
    if inspection.status != Status.SUBMITTED:
        raise Refused(_("Only a submitted inspection can be reopened."))
    if not (reason or "").strip():
        raise Refused(_("Give the reason for reopening."))
    reopening.send(inspection)  # the notices' receiver refuses when an issued one holds a finding
    inspection.findings.clear()
    inspection.status = Status.DRAFT
    inspection.ended_at = None
    record_event(
        "inspection_reopened",
        inspection,
        from_state=Status.SUBMITTED.value,
        to_state=Status.DRAFT.value,
        detail=reason.strip()[:MAX_NOTE],
        actor=manager,
    )
