"""Issued documents as OFD (GB/T 33190-2016) besides PDF, for archives that take only OFD: a
version's OFD is made from its stored PDF at its first request, so it shows exactly what the
PDF shows, code and QR code included; it is stored beside the PDF, under the PDF's digest,
and served as stored from then on."""

from flask_babel import gettext as _

from app.core.files import Kind, send_stored
from app.core.ofd import MEDIA_TYPE, Described, OfdFailed, ofd_from_pdf
from app.core.refusals import Refused
from app.core.timeutil import LOCAL_TZ, as_utc
from app.documents.models import DocumentVersion
from app.documents.versions import Issued, kept_version, made_from_pdf


def _described(kept: DocumentVersion) -> Described:
    """What the OFD says of itself beyond its pages: its number, code and the PDF it was
    made from, so that it can be checked at `/verify` like the PDF."""
    return Described(
        doc_id=kept.digest[:32],
        created=as_utc(kept.made_at).astimezone(LOCAL_TZ).date(),
        custom={
            "文号": kept.number,
            "版本": str(kept.version),
            "核验码": kept.shown_code,
            "PDF SHA-256": kept.digest,
        },
    )


def stored_ofd(kept: DocumentVersion) -> bool:
    """Make and store the version's OFD unless it is stored already; False if it cannot be
    made (the reason is logged)."""
    return made_from_pdf(
        kept, Kind.ISSUED_OFD, lambda pdf: ofd_from_pdf(pdf, _described(kept)), OfdFailed
    )


def send_ofd(document: Issued, version: int | None, filename: str):
    """Answer with a stored version as OFD, the latest if none is named: the same version the
    PDF's download gives."""
    kept = kept_version(document, version)
    if not stored_ofd(kept):
        raise Refused(
            _("The OFD cannot be made just now; the PDF is the same document."), status=503
        )
    return send_stored(Kind.ISSUED_OFD, kept.digest, MEDIA_TYPE, f"{filename}-v{kept.version}.ofd")
