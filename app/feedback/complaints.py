"""A complaint's way: received → accepted → investigated with evidence → responsibility
assigned → upheld (it becomes a finding, which deducts, and a draft notice) or dismissed
with a reason. Plain functions; the caller commits."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Severity, Site
from app.catalog.rules import assessment_policy
from app.core.audit import AuditEvent, history_of, record_event
from app.core.extensions import db
from app.core.photos import photo_rows
from app.core.refusals import Refused, require
from app.core.stamping import StampFacts, stamper
from app.core.timeutil import LOCAL_TZ, utcnow
from app.core.tokens import new_token, token_hash
from app.feedback.access import can_decide_complaints, can_investigate
from app.feedback.evidence import check_complaint_photo, copy_marks
from app.feedback.models import Complaint, ComplaintChannel, ComplaintPhoto, ComplaintStatus
from app.inspections.models import (
    Answer,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Party,
    Schedule,
    Scope,
    Status,
    Tier,
)
from app.inspections.recording import submit
from app.notices.lifecycle import draft_notices
from app.notify.events import SUPERVISION_TEAM, announce, managers
from app.notify.models import EventKind
from app.web.guard import note_submission
from app.web.links import path_for

COMPLAINT_CATEGORY = "服务对象投诉"
PUBLIC_ACTIONS = (
    "complaint_filed",
    "complaint_accepted",
    "complaint_investigating",
    "complaint_assigned",
    "complaint_upheld",
    "complaint_dismissed",
)


def find_by_token(token: str) -> Complaint | None:
    return db.session.scalar(sa.select(Complaint).where(Complaint.token_hash == token_hash(token)))


def file_complaint(
    channel: ComplaintChannel,
    subject: str,
    description: str,
    *,
    location: str = "",
    contact: str = "",
    logged_by: User | None = None,
    photos: list[bytes] = (),
    client_uuid: str | None = None,
) -> tuple[Complaint, str]:
    """Record a complaint, with the complainant's photos if any (Refused if one is not
    a photo); returns it and the secret for the private link (shown once, never stored)."""
    token = new_token()
    complaint = Complaint(
        channel=channel,
        subject=subject.strip(),
        description=description.strip(),
        location=location.strip(),
        contact=contact.strip(),
        token_hash=token_hash(token),
        logged_by=logged_by,
        client_uuid=client_uuid,
    )
    db.session.add(complaint)
    db.session.flush()  # its reference, for the stamps on its photos
    _attach_photos(complaint, photos, logged_by)
    record_event("complaint_filed", complaint, to_state=complaint.status.value, actor=logged_by)
    announce(
        EventKind.COMPLAINT_RECEIVED,
        {"reference": complaint.reference, "subject": complaint.subject},
        path_for("feedback.complaint", complaint_id=complaint.id),
        users=managers(),
        robots_of=[SUPERVISION_TEAM],
        about=complaint,
    )
    return complaint, token


def log_hotline_complaint(
    channel: ComplaintChannel, subject: str, description: str, location: str, contact: str, user
) -> tuple[Complaint, str]:
    """A complaint received by phone, letter or in person, logged by a manager; commits."""
    filed = file_complaint(
        channel, subject, description, location=location, contact=contact, logged_by=user
    )
    db.session.commit()
    return filed


def file_online_complaint(
    subject: str,
    description: str,
    location: str,
    contact: str,
    photos: list[bytes],
    client_uuid: str | None,
) -> tuple[Complaint, str]:
    """A complaint from the public form, counted against its network's limit; commits.
    Refused (a photo that is none): nothing kept."""
    try:
        filed = file_complaint(
            ComplaintChannel.ONLINE,
            subject,
            description,
            location=location,
            contact=contact,
            photos=photos,
            client_uuid=client_uuid,
        )
    except Refused:
        db.session.rollback()
        raise
    note_submission("complaint")
    db.session.commit()
    return filed


def filed_by_this_phone(client_uuid: str | None) -> tuple[Complaint, str] | None:
    """The complaint this phone already filed under its UUID (the answer with its private link
    was lost on the way), with a new private link (the old one was never seen); commits."""
    if not client_uuid:
        return None
    complaint = db.session.scalar(sa.select(Complaint).where(Complaint.client_uuid == client_uuid))
    if complaint is None:
        return None
    token = new_token()
    complaint.token_hash = token_hash(token)
    db.session.commit()
    return complaint, token


def _attach_photos(
    complaint: Complaint,
    photos: list[bytes],
    user: User | None,
    originals: Sequence[bytes | None] = (),
) -> None:
    rows = photo_rows(
        ComplaintPhoto,
        photos,
        stamp=stamper(stamp_facts(complaint, user, utcnow())),
        originals=originals,
        uploaded_by_id=user.id if user else None,
    )
    if not rows:
        return
    complaint.photos.extend(rows)
    db.session.add(complaint)
    db.session.flush()
    for row in rows:
        check_complaint_photo(row, complaint)


PUBLIC = "公众"  # who took a photo sent with a complaint from the public page


def stamp_facts(complaint: Complaint, user: User | None, now: datetime) -> StampFacts:
    """What the stamp on a complaint's photo says, from the records (the complaint is
    flushed: its reference has its id)."""
    return StampFacts(
        received_at=now,
        place=complaint.site.path if complaint.site else complaint.location,
        taken_by=user.display_name if user else PUBLIC,
        subject=f"投诉 {complaint.reference} {complaint.subject}",
    )


def _move(complaint: Complaint, to: ComplaintStatus, action: str, user: User, detail=""):
    before = complaint.status
    complaint.status = to
    record_event(
        action, complaint, from_state=before.value, to_state=to.value, actor=user, detail=detail
    )


def accept(complaint: Complaint, user: User) -> None:
    require(can_decide_complaints(user), _("Only a manager accepts complaints."))
    require(complaint.status == ComplaintStatus.RECEIVED, _("This complaint is already accepted."))
    _move(complaint, ComplaintStatus.ACCEPTED, "complaint_accepted", user)


def add_evidence(
    complaint: Complaint,
    user: User,
    evidence: str,
    photos: list[bytes] = (),
    originals: Sequence[bytes | None] = (),
) -> None:
    """What the investigation found, in words and (optionally) photos, stamped, with their
    unmarked originals if the phone marked them up; Refused if a photo is not one."""
    require(can_investigate(user), _("Only supervisors investigate complaints."))
    require(
        complaint.status in (ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING),
        _("Accept the complaint before investigating it."),
    )
    evidence = evidence.strip()
    require(bool(evidence), _("Write down what the investigation found."))
    _attach_photos(complaint, photos, user, originals)
    stamp = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")  # read by people here
    complaint.evidence = "\n".join(
        part for part in (complaint.evidence, f"[{stamp} {user.display_name}] {evidence}") if part
    )
    _move(complaint, ComplaintStatus.INVESTIGATING, "complaint_investigating", user)


def assign(
    complaint: Complaint, user: User, contractor: Contractor, line: ServiceLine, site: Site
) -> None:
    """Responsibility: the contractor and the service line at fault, and where."""
    require(can_decide_complaints(user), _("Only a manager assigns responsibility."))
    require(
        complaint.status == ComplaintStatus.INVESTIGATING,
        _("Investigate the complaint before assigning responsibility."),
    )
    require(
        any(served.id == line.id for served in contractor.service_lines),
        _("%(company)s does not provide this service.", company=contractor.short_name),
    )
    complaint.contractor, complaint.service_line, complaint.site = contractor, line, site
    record_event(
        "complaint_assigned", complaint, actor=user, detail=f"{contractor.short_name} · {line.name}"
    )


def dismiss(complaint: Complaint, user: User, reason: str) -> None:
    require(can_decide_complaints(user), _("Only a manager decides on complaints."))
    require(complaint.is_open, _("This complaint is already decided."))
    require(bool(reason.strip()), _("Give the reason for dismissing it."))
    complaint.decision, complaint.decided_at = reason.strip(), utcnow()
    _move(complaint, ComplaintStatus.DISMISSED, "complaint_dismissed", user)


def uphold(complaint: Complaint, user: User, reason: str) -> Inspection:
    """The complaint stands: it becomes a failed item of an external, ad hoc inspection
    (so a finding that deducts the policy's complaint points) and a draft notice."""
    require(can_decide_complaints(user), _("Only a manager decides on complaints."))
    require(
        complaint.status == ComplaintStatus.INVESTIGATING and complaint.contractor is not None,
        _("Investigate and assign responsibility before upholding."),
    )
    require(bool(reason.strip()), _("Say why the complaint is upheld."))
    db.session.flush()  # the responsibility just assigned, as ids for the item below
    now = utcnow()
    complaint.decision, complaint.decided_at = reason.strip(), now
    inspection = Inspection(
        scope=Scope.STRIP,
        schedule=Schedule.SPOT,
        party=Party.EXTERNAL,
        tier=Tier.AD_HOC,
        status=Status.DRAFT,
        created_by=user,
        sites=[complaint.site],
        contractors=[complaint.contractor],
        service_lines=[complaint.service_line],
        inspectors=[user],
        summary=_("Upheld complaint %(ref)s", ref=complaint.reference),
    )
    item = InspectionItem(
        position=1,
        contractor_id=complaint.contractor_id,
        site_id=complaint.site_id,
        category=COMPLAINT_CATEGORY,
        code=complaint.reference,
        title=complaint.subject,
        standard=_("Complaint upheld: %(reason)s", reason=reason.strip()),
        severity=Severity.GENERAL,
        deduction=assessment_policy().complaint_points,
        answer=Answer.FAIL,
        note=complaint.evidence or complaint.description,
        answered_at=now,
        answered_by=user,
        photos=_photo_copies(complaint, user),
    )
    inspection.items.append(item)
    db.session.add(inspection)
    db.session.flush()
    copy_marks(complaint.photos, item.photos)
    submit(inspection, user, inspection.summary)
    draft_notices(inspection, user, now)
    complaint.inspection = inspection
    _move(complaint, ComplaintStatus.UPHELD, "complaint_upheld", user)
    return inspection


def _photo_copies(complaint: Complaint, user: User) -> list[InspectionPhoto]:
    """The complaint's photos, for its finding: the same files, stamped copies and originals."""
    return [
        InspectionPhoto(
            digest=photo.digest,
            stamped_digest=photo.stamped_digest,
            original_digest=photo.original_digest,
            width=photo.width,
            height=photo.height,
            taken_at=photo.uploaded_at,
            uploaded_by=user,
        )
        for photo in complaint.photos
    ]


def public_timeline(complaint: Complaint) -> list[AuditEvent]:
    """The steps the complainant may see: what happened and when, not who inside did it."""
    return history_of(complaint, PUBLIC_ACTIONS)
