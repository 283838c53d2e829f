"""The standards library, as the editors' pages change it: each action writes, records the
audit event and commits."""

import sqlalchemy as sa

from app.catalog.forms import populate_except
from app.catalog.models import CheckCategory, CheckPoint, ServiceLine, Severity
from app.catalog.standards_io import import_xlsx
from app.core.audit import record_event
from app.core.extensions import db


def line_code_taken(code: str, line: ServiceLine | None) -> bool:
    clash = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == code.upper()))
    return clash is not None and clash is not line


def save_line(line: ServiceLine | None, form) -> ServiceLine:
    if line is None:
        line = ServiceLine()
        db.session.add(line)
    form.populate_obj(line)
    line.code = line.code.upper()
    record_event("service_line_saved", line)
    db.session.commit()
    return line


def category_name_taken(line_id: int | None, name: str, category: CheckCategory | None) -> bool:
    """Whether the service line (None: the block checks) has another category of this name."""
    clash = db.session.scalar(
        sa.select(CheckCategory).where(
            CheckCategory.service_line_id.is_(line_id)
            if line_id is None
            else CheckCategory.service_line_id == line_id,
            CheckCategory.name == name.strip(),
        )
    )
    return clash is not None and clash is not category


def save_category(
    category: CheckCategory | None, *, line_id: int | None, name: str, position: int
) -> CheckCategory:
    if category is None:
        category = CheckCategory()
        db.session.add(category)
    category.service_line_id = line_id
    category.name = name.strip()
    category.position = position
    record_event("category_saved", category)
    db.session.commit()
    return category


def point_code_taken(code: str, point: CheckPoint | None) -> bool:
    clash = db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == code.strip()))
    return clash is not None and clash is not point


def save_point(point: CheckPoint | None, form, new_photo: str | None) -> CheckPoint:
    """A new check point (`point` None) or a changed one; `new_photo` is the hash of a reference
    photo stored already, and the form may ask to remove the one it had."""
    if point is None:
        point = CheckPoint()
        db.session.add(point)
    old = (point.severity, point.deduction) if point.id else None
    populate_except(form, point, "reference_upload", "remove_reference")
    point.severity = Severity(form.severity.data)
    if new_photo:
        point.reference_photo = new_photo
    elif form.remove_reference.data:
        point.reference_photo = None
    record_event(
        "check_point_saved",
        point,
        from_state=f"{old[0].value} {old[1]}" if old else None,
        to_state=f"{point.severity.value} {point.deduction}",
    )
    db.session.commit()
    return point


def import_standards(stream):
    """Import a standards workbook all or nothing; returns its report (nothing kept unless
    the report is ok)."""
    report = import_xlsx(stream)
    if not report.ok:
        db.session.rollback()
        return report
    record_event(
        "standards_imported",
        object_type="check_points",
        detail=f"created={report.created} updated={report.updated}",
    )
    db.session.commit()
    return report
