from flask import Blueprint

from app.inspections.access import can_record
from app.inspections.urls import checklist_url, item_url_pattern

bp = Blueprint("inspections", __name__)
bp.add_app_template_global(checklist_url)
bp.add_app_template_global(item_url_pattern)
bp.add_app_template_global(can_record, "can_record_on")
