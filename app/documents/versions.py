"""Issued documents kept as they were issued: each change of state a document shows is
rendered once into a new version, stored by its SHA-256, with a short code and a QR code
printed on it that `/verify` looks up. Downloads serve the stored file, never a new rendering.

A domain describes its document as an `Issued` (what it is, what it shows now, how to print
it) and calls `freeze` after a change; `send_version` answers a download."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app
from markupsafe import Markup

from app.core.extensions import db, insert_or_skip
from app.core.files import Kind, is_stored, read_stored, send_stored, store, store_content
from app.core.qrcodes import qr_svg
from app.documents.models import DocumentVersion, shown
from app.web.links import path_for, public_link

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 random bits
READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Published bulletins were stored before versions were kept; they stay where they are.
STORED_AS = {"bulletin": Kind.BULLETIN}


@dataclass(frozen=True)
class Stamp:
    """What a version prints of itself: its number, its code and where to check it."""

    version: int
    code: str
    verify_url: str

    @property
    def shown_code(self) -> str:
        return shown(self.code)

    @property
    def qr(self) -> Markup:
        return qr_svg(self.verify_url, scale=2)


@dataclass(frozen=True)
class Issued:
    """An issued document as it stands: which record, what `/verify` may say of it (number,
    date, addressee), what it shows that can change, and how to print it with a stamp."""

    kind: str
    record_id: int
    number: str
    addressee: str
    dated: datetime
    state_key: str
    state_label: str
    render: Callable[[Stamp], bytes]


def stored_as(kind: str) -> Kind:
    return STORED_AS.get(kind, Kind.ISSUED)


def normalised(text: str) -> str:
    """A code as typed: any case, spaces and dashes, O for 0, I or L for 1."""
    return "".join(c for c in (text or "").upper().translate(READ_AS) if c in CODE_ALPHABET)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _versions(kind: str, record_id: int) -> sa.Select:
    return sa.select(DocumentVersion).where(
        DocumentVersion.kind == kind, DocumentVersion.record_id == record_id
    )


def versions_of(kind: str, record_id: int) -> list[DocumentVersion]:
    return list(db.session.scalars(_versions(kind, record_id).order_by(DocumentVersion.version)))


def latest(kind: str, record_id: int) -> DocumentVersion | None:
    query = _versions(kind, record_id).order_by(DocumentVersion.version.desc()).limit(1)
    return db.session.scalar(query)


def freeze(document: Issued) -> DocumentVersion | None:
    """Render and keep a new version if the document shows something its last version does
    not; None if nothing it shows has changed. Requests that freeze one document at once
    (several first downloads) keep one version between them and each get it."""
    last = latest(document.kind, document.record_id)
    if _shows(last, document):
        return None
    while (kept := _keep_next(document, last)) is None:
        # another request kept this version first: it serves if it shows the same, else
        # this one follows it
        last = latest(document.kind, document.record_id)
        if _shows(last, document):
            return last
    return kept


def _shows(version: DocumentVersion | None, document: Issued) -> bool:
    return version is not None and version.state_key == document.state_key


def _keep_next(document: Issued, last: DocumentVersion | None) -> DocumentVersion | None:
    """Render and keep the version after `last`; None if its number (or its code) was taken
    meanwhile. The insert skips rather than fails, so the caller's transaction goes on."""
    code = new_code()
    stamp = Stamp(
        version=last.version + 1 if last else 1,
        code=code,
        verify_url=public_link(path_for("documents.verify", code=shown(code))),
    )
    pdf = document.render(stamp)
    kept_id = db.session.scalar(
        insert_or_skip(DocumentVersion.__table__),
        {
            "kind": document.kind,
            "record_id": document.record_id,
            "version": stamp.version,
            "state_key": document.state_key,
            "state_label": document.state_label[:200],
            "code": code,
            "digest": store_content(stored_as(document.kind), pdf),
            "number": document.number,
            "addressee": document.addressee,
            "dated": document.dated,
        },
    )
    return None if kept_id is None else db.session.get(DocumentVersion, kept_id)


def kept_version(document: Issued, version: int | None) -> DocumentVersion:
    """A stored version, the latest if none is named (404 if there is no such version). A
    document issued before versions were kept is frozen as it stands at its first download."""
    if version is None:
        kept = latest(document.kind, document.record_id) or freeze(document)
        db.session.commit()
        return kept
    kept = db.session.scalar(
        _versions(document.kind, document.record_id).where(DocumentVersion.version == version)
    )
    if kept is None:
        abort(404)
    return kept


def send_version(document: Issued, version: int | None, filename: str):
    """Answer with a stored version's PDF, the latest if none is named."""
    kept = kept_version(document, version)
    return send_stored(
        stored_as(kept.kind), kept.digest, "application/pdf", f"{filename}-v{kept.version}.pdf"
    )


def find_by_code(text: str) -> DocumentVersion | None:
    code = normalised(text)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(sa.select(DocumentVersion).where(DocumentVersion.code == code))


def find_by_digest(digest: str) -> DocumentVersion | None:
    return db.session.scalar(
        sa.select(DocumentVersion).where(DocumentVersion.digest == digest).limit(1)
    )


def made_from_pdf(
    kept: DocumentVersion, kind: Kind, make: Callable[[bytes], bytes], failed: type[Exception]
) -> bool:
    """Make a file of `kind` from the version's stored PDF and store it under the PDF's digest,
    unless it is stored already; False if it cannot be made (`make` raised `failed`, or the PDF
    is missing: the reason is logged)."""
    if is_stored(kind, kept.digest):
        return True
    try:
        pdf = read_stored(stored_as(kept.kind), kept.digest)
        if pdf is None:
            raise failed("the PDF is missing from the file store")
        store(kind, kept.digest, make(pdf))
    except failed as error:
        current_app.logger.warning(
            "%s of %s %s not made: %s", kind.name, kept.kind, kept.number, error
        )
        return False
    return True
