from flask import Blueprint

bp = Blueprint("inspections", __name__)


@bp.app_context_processor
def checklist_helpers():
    from app.inspections.models import Answer
    from app.inspections.urls import checklist_url

    return {"answers": list(Answer), "checklist_url": checklist_url}


from app.inspections import (  # noqa: E402,F401
    external_views,
    guest_views,
    report_views,
    self_check_views,
    views,
)
