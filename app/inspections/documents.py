"""The submitted inspection's report as an issued document (see app/documents/versions.py)."""

import itertools
import re

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.catalog.sites import with_path
from app.core.audit import history_of
from app.core.extensions import db
from app.core.pdf import render_pdf
from app.core.photos import read_photo
from app.documents.versions import Issued
from app.inspections.models import Finding, Inspection, InspectionItem, InspectionPhoto
from app.inspections.recording import progress
from app.inspections.repeats import repeats_of

PHOTO_PATH = re.compile(r"^/inspections/photos/(\d+)(\?size=thumb)?$")

# What the report shows (every item, each finding with its photos, contractor and place, the
# places' paths), loaded with the inspection: a report of sixty items and their photos costs
# the statements of one of six.
REPORT_SHOWN = (
    selectinload(Inspection.items).selectinload(InspectionItem.photos),
    selectinload(Inspection.findings).options(
        joinedload(Finding.contractor), joinedload(Finding.site)
    ),
    selectinload(Inspection.sites).options(with_path()),
)
# What the checklist's cards show of every item (its photos and its answers' history), and
# the places' paths its facts show. (Its contractors, service lines and inspectors joined to
# the inspection saved three statements but cost SQLite a pass over every inspection's links:
# a page took 21 ms instead of 14 with 50 inspectors' 2,600 checks.)
CHECKLIST_SHOWN = (
    selectinload(Inspection.items).options(
        selectinload(InspectionItem.photos), selectinload(InspectionItem.history)
    ),
    selectinload(Inspection.sites).options(with_path()),
)


def grouped_items(items):
    """Items by category, keeping checklist order (a category's items are consecutive)."""
    return [
        (name, list(group)) for name, group in itertools.groupby(items, key=lambda i: i.category)
    ]


def report_context(inspection: Inspection) -> dict:
    """What the report's page and its PDF show."""
    return {
        "inspection": inspection,
        "groups": grouped_items(inspection.items),
        "progress": progress(inspection),
        "history": history_of(inspection),
        "repeats": repeats_of(inspection.findings),
    }


def render_report(inspection: Inspection, stamp=None) -> bytes:
    def photo_for(path: str):
        match = PHOTO_PATH.match(path)
        if not match:
            return None
        photo = db.session.get(InspectionPhoto, int(match[1]))
        if photo is None or photo.item.inspection_id != inspection.id:
            return None
        return read_photo(photo.shown_digest, thumb=bool(match[2]))

    return render_pdf(
        "inspections/report_pdf.html", photo_for, stamp=stamp, **report_context(inspection)
    )


def report_document(inspection: Inspection) -> Issued | None:
    """The report once submitted; submitted again after a reopening, a new version."""
    if inspection.is_draft or inspection.ended_at is None:
        return None
    places = [site.name for site in inspection.sites]
    return Issued(
        kind="report",
        record_id=inspection.id,
        number=_("Inspection report %(id)s", id=inspection.id),
        addressee="、".join(c.name for c in inspection.contractors) or "、".join(places),
        dated=inspection.ended_at,
        state_key=inspection.ended_at.isoformat(),
        state_label=_("Submitted"),
        render=lambda stamp: render_report(inspection, stamp),
    )
