"""External checks (外检): findings of a functional department or hired assessor, recorded
by a manager with the checker's documents, or filled in by the checker through a guest link."""

import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.core.extensions import db
from app.core.files import Kind, store_content
from app.core.photos import store_photo
from app.core.refusals import Refused
from app.core.timeutil import as_utc, utcnow
from app.core.tokens import new_token, token_hash
from app.core.uploads import is_too_large, too_large_message
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import (
    ExternalBody,
    ExternalDocument,
    GuestPass,
    Inspection,
    Party,
    Schedule,
    Tier,
)

GUEST_HOURS_MAX = 24 * 14


def start_external(plan: Plan, manager: User, body: ExternalBody, assessor: str) -> Inspection:
    """An external inspection on the usual checklist; the caller commits."""
    inspection = start_inspection(
        plan, manager, schedule=Schedule.SPOT, party=Party.EXTERNAL, tier=Tier.AD_HOC
    )
    inspection.external_body = body
    inspection.assessor = assessor.strip()
    return inspection


def attach_document(inspection: Inspection, data: bytes, filename: str, user: User):
    """Keep a PDF as sent (after checking it is one) or a photo of a paper record (decoded,
    re-encoded and stripped like any evidence photo)."""
    if is_too_large(data):
        raise Refused(too_large_message(), status=422)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise Refused(_("This PDF is incomplete or damaged."), status=422)
        digest = store_content(Kind.DOCUMENT, data)
        kind = "pdf"
    else:
        try:
            digest = store_photo(data).digest
        except Refused as refusal:
            raise Refused(
                _("Attach a PDF or a photo (JPEG, PNG, WebP) of the document."), status=422
            ) from refusal
        kind = "image"
    document = ExternalDocument(
        filename=Path(filename or "document").name[:200],
        kind=kind,
        digest=digest,
        size=len(data),
        uploaded_by_id=user.id,
    )
    inspection.documents.append(document)
    return document


def issue_guest_pass(
    inspection: Inspection, manager: User, guest_name: str, hours: int
) -> tuple[GuestPass, str]:
    """A link for one external checker to fill this checklist until it expires. Returns the
    pass and the secret for the link (shown once; only its hash is kept)."""
    if not inspection.is_draft:
        raise Refused(_("The inspection is already submitted."))
    token = new_token()
    guest = User(
        username=f"guest-{token_hash(token)[:12]}",
        display_name=guest_name.strip()[:100],
        role=Role.INSPECTOR,
        active=False,  # answers are recorded under this user; it can never log in
    )
    guest.set_password(secrets.token_urlsafe(32))
    inspection.inspectors.append(guest)
    grant = GuestPass(
        inspection=inspection,
        token_hash=token_hash(token),
        guest=guest,
        expires_at=utcnow() + timedelta(hours=max(1, min(hours, GUEST_HOURS_MAX))),
        created_by_id=manager.id,
    )
    db.session.add(grant)
    return grant, token


def valid_pass(token: str) -> GuestPass | None:
    """The pass for this link while it is valid; None if unknown or expired."""
    grant = db.session.scalar(sa.select(GuestPass).where(GuestPass.token_hash == token_hash(token)))
    if grant is None or as_utc(grant.expires_at) <= utcnow():
        return None
    return grant
