from flask import Blueprint

from app.notices.access import (
    can_acknowledge,
    can_record_unsigned_service,
    can_report_fix,
    sees_drafts,
)
from app.notices.timing import time_left

bp = Blueprint("notices", __name__)


@bp.app_context_processor
def notice_helpers():
    return {
        "time_left": time_left,
        "can_acknowledge": can_acknowledge,
        "can_report_fix": can_report_fix,
        "can_record_unsigned_service": can_record_unsigned_service,
        "sees_drafts": sees_drafts,
    }
