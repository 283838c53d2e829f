"""The monthly bulletin's findings and points deducted by the national standard's areas
(TC607), counted as the analysis counts them for the same month."""

from functools import partial

from app.core.timeutil import month_bounds
from app.inspections.areas import findings_by_area, submitted_findings


def area_figures(month: str) -> list[dict]:
    """Each area's findings and points deducted in the month, as plain JSON-ready values (the
    area's value, None for lines without one), in the standard's order. One statement."""
    start, end = month_bounds(month)
    return [
        {
            "area": figure.area.value if figure.area else None,
            "findings": figure.findings,
            "points": f"{figure.points:.1f}",
        }
        for figure in findings_by_area(partial(submitted_findings, start, end))
    ]
