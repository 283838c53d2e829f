"""Recording an inspection: answers, notes and photos as they are tapped; submit and reopen."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit import record_event
from app.auth.access import EDITORS
from app.auth.models import User
from app.extensions import db
from app.inspections.models import (
    Answer,
    AnswerRecord,
    Finding,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Status,
)
from app.photos import store_photo
from app.refusals import Refused
from app.timeutil import as_utc, utcnow

MAX_NOTE = 2000


@dataclass
class Problem:
    item: InspectionItem
    message: str


def ensure_can_record(inspection: Inspection, user: User) -> None:
    if inspection.status != Status.DRAFT:
        raise Refused(_("This inspection is submitted; a manager must reopen it first."))
    if user not in inspection.inspectors:
        raise Refused(_("Only the inspectors on this inspection can record it."))


def record_answer(
    item: InspectionItem,
    answer: Answer,
    user: User,
    *,
    answered_at: datetime | None = None,
    client_uuid: str | None = None,
) -> AnswerRecord:
    """Save one tap: pass, fail or not applicable.

    A replayed answer (same client UUID) is recognised and changes nothing. Of two answers to
    one item the later tap wins; the other stays in the item's history.
    """
    ensure_can_record(item.inspection, user)
    if client_uuid:
        replayed = db.session.scalar(
            sa.select(AnswerRecord).where(AnswerRecord.client_uuid == client_uuid)
        )
        if replayed is not None:
            return replayed
    now = utcnow()
    tapped = min(as_utc(answered_at), now) if answered_at else now  # no answers from the future
    record = AnswerRecord(
        item=item,
        answer=Answer(answer),
        answered_at=tapped,
        user_id=user.id,
        client_uuid=client_uuid,
        recorded_at=now,
    )
    db.session.add(record)
    if item.answered_at is None or tapped >= as_utc(item.answered_at):
        item.answer = Answer(answer)
        item.answered_at = tapped
        item.answered_by = user
    return record


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
) -> InspectionPhoto:
    """Store a photo on the item (Refused, with 422, if it is not a good one).

    The camera's own time wins over the time the browser reports; coordinates come from the
    phone's Geolocation API, never from the file, whose location tags are stripped.
    """
    ensure_can_record(item.inspection, user)
    if client_uuid:
        replayed = db.session.scalar(
            sa.select(InspectionPhoto).where(InspectionPhoto.client_uuid == client_uuid)
        )
        if replayed is not None:
            return replayed
    stored = store_photo(data)
    photo = InspectionPhoto(
        item=item,
        digest=stored.digest,
        width=stored.width,
        height=stored.height,
        taken_at=stored.taken_at or taken_at,
        latitude=_in_range(latitude, 90),
        longitude=_in_range(longitude, 180),
        accuracy_m=accuracy_m if accuracy_m is None or accuracy_m >= 0 else None,
        client_uuid=client_uuid,
        uploaded_by=user,
    )
    db.session.add(photo)
    return photo


def _in_range(value: float | None, limit: float) -> float | None:
    return value if value is not None and -limit <= value <= limit else None


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
    if manager.role not in EDITORS:
        raise Refused(_("Only a manager can reopen an inspection."))
    if inspection.status != Status.SUBMITTED:
        raise Refused(_("Only a submitted inspection can be reopened."))
    if not (reason or "").strip():
        raise Refused(_("Give the reason for reopening."))
    _withdraw_from_draft_notices(inspection)
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


def _withdraw_from_draft_notices(inspection: Inspection) -> None:
    """Take the findings off draft notices; an issued notice stands, so reopening is refused."""
    from app.notices.models import NoticeItem, NoticeStatus

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
