from flask import Blueprint

from app.notices.access import (
    can_acknowledge,
    can_record_unsigned_service,
    can_report_fix,
    sees_drafts,
)
from app.notices.timing import time_left

bp = Blueprint("notices", __name__)
bp.add_app_template_global(time_left)
bp.add_app_template_global(can_acknowledge)
bp.add_app_template_global(can_report_fix)
bp.add_app_template_global(can_record_unsigned_service)
bp.add_app_template_global(sees_drafts)
