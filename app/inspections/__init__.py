from flask import Blueprint

bp = Blueprint("inspections", __name__)


@bp.app_context_processor
def checklist_helpers():
    from app.inspections.models import Answer

    return {"answers": list(Answer)}


from app.inspections import report_views, self_check_views, views  # noqa: E402,F401
