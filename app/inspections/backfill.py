"""Checklist photos stored before stamping and the reuse checks, brought up to date by
core/backfill.py: stamped with what a photo sent now is stamped with."""

from app.core.backfill import PhotoBackfill
from app.inspections.evidence import KIND
from app.inspections.models import InspectionPhoto
from app.inspections.recording import stamp_facts

INSPECTION_PHOTOS = PhotoBackfill(KIND, InspectionPhoto, stamp_facts)
