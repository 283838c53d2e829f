from flask import Blueprint

bp = Blueprint("notices", __name__)


@bp.app_context_processor
def notice_helpers():
    from app.notices.timing import time_left

    return {"time_left": time_left}
