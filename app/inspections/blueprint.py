from flask import Blueprint

from app.inspections.access import can_record
from app.inspections.urls import checklist_url, item_url_pattern

bp = Blueprint("inspections", __name__)


@bp.app_context_processor
def checklist_helpers():
    return {
        "checklist_url": checklist_url,
        "item_url_pattern": item_url_pattern,
        "can_record_on": can_record,
    }
