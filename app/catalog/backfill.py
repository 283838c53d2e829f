"""After upgrading past migration 20261207_0060: an existing install's service lines have no
TC607 area and its check points are all checked monthly (the migration's default). Give
them the shipped library's area and frequency where their codes are the shipped library's
and no manager may have set them. Safe to run again: what it filled, or a manager set,
it leaves alone."""

from dataclasses import dataclass

import sqlalchemy as sa

from app.catalog.models import Area, CheckPoint, Frequency, ServiceLine
from app.catalog.standards_io import default_catalogue_rows, parse_rows
from app.core.audit import AuditEvent
from app.core.extensions import db


@dataclass
class Filled:
    lines: int = 0  # lines given their area
    points: int = 0  # check points given their frequency
    lines_left: list[str] | None = None  # codes of lines a manager saved, still without an area
    points_left: int = 0  # still monthly, as a manager may have chosen


def fill_areas_and_frequencies() -> Filled:
    """Fill in, in the session (the caller commits), each line's area and each check point's
    frequency from the shipped library, where the code matches and a manager has not set
    them: a line without an area that no manager has saved on its page; a point still at the
    migration's 每月 that no manager has saved on its page, while no spreadsheet was ever
    imported (an import may set frequencies, and does not record which)."""
    shipped, errors = parse_rows(default_catalogue_rows())
    if errors:
        raise ValueError(f"the shipped library does not load: {errors[0]}")
    filled = Filled(lines_left=[])
    _fill_areas({row.line_code: row.area for row in shipped if row.line_code and row.area}, filled)
    _fill_frequencies(
        {
            row.code: row.frequency
            for row in shipped
            if row.frequency not in (None, Frequency.MONTHLY)
        },
        filled,
    )
    db.session.flush()
    return filled


def _fill_areas(areas: dict[str, Area], filled: Filled) -> None:
    saved = _saved_by_a_manager("service_line_saved", "service_lines")
    lines = db.session.scalars(
        sa.select(ServiceLine)
        .where(ServiceLine.area.is_(None), ServiceLine.code.in_(areas))
        .order_by(ServiceLine.position)
    )
    for line in lines:
        if line.id in saved:  # a manager may have chosen no area
            filled.lines_left.append(line.code)
        else:
            line.area = areas[line.code]
            filled.lines += 1


def _fill_frequencies(frequencies: dict[str, Frequency], filled: Filled) -> None:
    saved = _saved_by_a_manager("check_point_saved", "check_points")
    imported = _any_event("standards_imported")
    points = db.session.scalars(
        sa.select(CheckPoint).where(
            CheckPoint.frequency == Frequency.MONTHLY, CheckPoint.code.in_(frequencies)
        )
    )
    for point in points:
        if imported or point.id in saved:  # a manager may have chosen 每月
            filled.points_left += 1
        else:
            point.frequency = frequencies[point.code]
            filled.points += 1


def _saved_by_a_manager(action: str, table: str) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(AuditEvent.object_id).where(
                AuditEvent.action == action, AuditEvent.object_type == table
            )
        )
    )


def _any_event(action: str) -> bool:
    return (
        db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == action).limit(1))
        is not None
    )
