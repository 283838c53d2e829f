"""The findings of submitted inspections in a period, and their totals by the national
standard's areas (TC607): the analysis and the monthly bulletin count them alike."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.catalog.models import Area, CheckCategory, CheckPoint, ServiceLine
from app.core.extensions import db
from app.inspections.models import Finding, Inspection, Status


@dataclass
class AreaFigure:
    area: Area | None  # None: findings of no service line, or of a line without an area
    findings: int
    points: Decimal


def submitted_findings(start: datetime, end: datetime, *columns) -> sa.Select:
    """SELECT `columns` FROM the findings of submitted inspections found from `start` until
    `end`, their check point and its category joined (outer), ready for more conditions."""
    return (
        sa.select(*columns)
        .select_from(Finding)
        .join(Inspection, Finding.inspection_id == Inspection.id)
        .outerjoin(CheckPoint, Finding.check_point_id == CheckPoint.id)
        .outerjoin(CheckCategory, CheckPoint.category_id == CheckCategory.id)
        .where(
            Inspection.status == Status.SUBMITTED,
            Finding.found_at >= start,
            Finding.found_at < end,
        )
    )


def findings_by_area(findings_of: Callable[..., sa.Select]) -> list[AreaFigure]:
    """Findings and points deducted in each area, in the standard's order (areas without
    findings too), then those of no area if any; `findings_of(*columns)` selects the
    findings to total, as submitted_findings does. One statement."""
    rows = db.session.execute(
        findings_of(ServiceLine.area, sa.func.count(), sa.func.sum(Finding.deduction))
        .outerjoin(ServiceLine, CheckCategory.service_line_id == ServiceLine.id)
        .group_by(ServiceLine.area)
    )
    totals = {area: (count, points) for area, count, points in rows}
    figures = [AreaFigure(area, *totals.get(area, (0, Decimal(0)))) for area in Area]
    if None in totals:
        figures.append(AreaFigure(None, *totals[None]))
    return figures
