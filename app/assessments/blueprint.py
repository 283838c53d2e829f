from flask import Blueprint

from app.assessments.charts import findings_chart, trend_chart
from app.catalog.models import Area, Severity

bp = Blueprint("assessments", __name__)


@bp.app_context_processor
def chart_helpers():
    return {
        "trend_chart": trend_chart,
        "findings_chart": findings_chart,
        "severity_labels": {s.value: s.label for s in Severity},
        "area_labels": {a.value: a.label for a in Area},
    }
