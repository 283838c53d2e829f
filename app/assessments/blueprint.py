from flask import Blueprint

from app.assessments.charts import findings_chart, trend_chart
from app.catalog.models import Area, Severity
from app.core.languages import once_per_language

bp = Blueprint("assessments", __name__)
bp.add_app_template_global(trend_chart)
bp.add_app_template_global(findings_chart)


@bp.app_context_processor
def chart_labels():
    return once_per_language("chart_labels", _chart_labels)


def _chart_labels() -> dict:
    return {
        "severity_labels": {s.value: s.label for s in Severity},
        "area_labels": {a.value: a.label for a in Area},
    }
