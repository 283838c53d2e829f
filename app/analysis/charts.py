"""Geometry for the analysis's findings-over-time chart: stacked columns by severity, drawn as
server-side SVG like the bulletin's charts, readable at 360 px and in print."""

from app.analysis.figures import SEVERITIES, Bucket
from app.assessments.charts import SEVERITY_COLOURS


def columns_chart(buckets: list[Bucket], width: int = 640, height: int = 220) -> dict:
    left, right, top, bottom = 36, 8, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((b.total for b in buckets), default=0) or 1
    step = plot_w / max(1, len(buckets))
    bar = max(2.0, step * 0.7)
    columns = []
    for index, bucket in enumerate(buckets):
        x, y, parts = left + index * step + (step - bar) / 2, top + plot_h, []
        for severity in SEVERITIES:
            size = bucket.counts.get(severity, 0) * plot_h / most
            if size:
                y -= size
                parts.append(
                    {
                        "y": round(y, 1),
                        "height": round(size, 1),
                        "colour": SEVERITY_COLOURS[severity],
                    }
                )
        columns.append({"x": round(x, 1), "width": round(bar, 1), "parts": parts, "bucket": bucket})
    label_every = max(1, len(buckets) // 8)
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": top + plot_h,
        "top": top,
        "most": most,
        "columns": columns,
        "labels": [
            {"x": round(c["x"] + c["width"] / 2, 1), "text": c["bucket"].label}
            for i, c in enumerate(columns)
            if i % label_every == 0
        ],
        "colours": SEVERITY_COLOURS,
    }
