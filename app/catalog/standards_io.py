"""Import and export of the standards library: XLSX for bureaus, a text file for our default.

Every way in goes through `parse_rows` and `apply_rows`, so a bureau's spreadsheet and the
shipped catalogue are checked by the same rules. A file with any bad row imports nothing.
"""

import io
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from app.catalog.models import Area, CheckCategory, CheckPoint, Frequency, ServiceLine, Severity
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.spreadsheets import append_row

# (field, spreadsheet header). The headers are what a bureau's staff read and type.
COLUMNS = [
    ("line_code", "服务项目编码"),
    ("line_name", "服务项目"),
    ("category", "类别"),
    ("code", "检查点编码"),
    ("title", "检查内容"),
    ("standard", "标准要求"),
    ("good_practice", "合格样例"),
    ("severity", "严重程度"),
    ("deduction", "扣分"),
    ("active", "启用"),
]
# Added later: a spreadsheet may stop before them, and then changes neither.
OPTIONAL_COLUMNS = [
    ("frequency", "检查频次"),
    ("area", "服务领域"),
]
ALL_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
HEADERS = [header for _field, header in COLUMNS]  # every spreadsheet starts with these
EXPORT_HEADERS = [header for _field, header in ALL_COLUMNS]
HEADER_OF = dict(ALL_COLUMNS)  # each field's header
SEVERITY_WORDS = {
    "一般": Severity.GENERAL,
    "general": Severity.GENERAL,
    "较重": Severity.MAJOR,
    "major": Severity.MAJOR,
    "严重": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
}
SEVERITY_EXPORT = {Severity.GENERAL: "一般", Severity.MAJOR: "较重", Severity.CRITICAL: "严重"}
FREQUENCY_EXPORT = {
    Frequency.DAILY: "每日",
    Frequency.WEEKLY: "每周",
    Frequency.HALF_MONTHLY: "每半月",
    Frequency.MONTHLY: "每月",
    Frequency.QUARTERLY: "每季",
}
FREQUENCY_WORDS = {word: f for f, word in FREQUENCY_EXPORT.items()} | {
    f.value: f for f in Frequency
}
AREA_EXPORT = {
    Area.CUSTOMER_SERVICE: "客户服务",
    Area.BUILDING: "房屋管理",
    Area.FACILITIES: "公用设施设备",
    Area.ORDER: "公共秩序",
    Area.CLEANING: "保洁",
    Area.GREENING: "绿化",
    Area.MEETINGS: "会务服务",
}
AREA_WORDS = {word: a for a, word in AREA_EXPORT.items()} | {a.value: a for a in Area}
YES_WORDS = {"", "是", "yes", "y", "true", "1"}
NO_WORDS = {"否", "no", "n", "false", "0"}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
MAX_ROWS = 5000
DEFAULT_CATALOGUE = Path(__file__).parent / "standards" / "default_zh.txt"


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class PointRow:
    row: int
    line_code: str
    line_name: str
    category: str
    code: str
    title: str
    standard: str
    good_practice: str
    severity: Severity
    deduction: Decimal
    active: bool
    frequency: Frequency | None = None  # None: a new point is checked monthly, others keep theirs
    area: Area | None = None  # None: the line keeps its area


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_length(errors, row, header, value, limit, required=True):
    if required and not value:
        errors.append(RowError(row, header, _("Required.")))
    elif len(value) > limit:
        errors.append(RowError(row, header, _("At most %(n)d characters.", n=limit)))


def parse_rows(rows, first_row: int = 2) -> tuple[list[PointRow], list[RowError]]:
    """Check data rows (tuples in COLUMNS order); return the good ones and every error."""
    points, errors, codes_seen, line_names = [], [], {}, {}
    for number, raw in enumerate(rows, start=first_row):
        values = _row_values(raw)
        if not any(values.values()):
            continue
        row_errors: list[RowError] = []
        line_code = _check_line(values, number, line_names, row_errors)
        frequency, area = _check_frequency_and_area(values, number, line_code, row_errors)
        _check_point_texts(values, number, codes_seen, row_errors)
        severity, deduction, active = _check_grading(values, number, row_errors)
        if row_errors:
            errors.extend(row_errors)
            continue
        points.append(
            PointRow(
                row=number,
                line_code=line_code,
                line_name=values["line_name"],
                category=values["category"],
                code=values["code"],
                title=values["title"],
                standard=values["standard"],
                good_practice=values["good_practice"],
                severity=severity,
                deduction=deduction,
                active=active,
                frequency=frequency,
                area=area,
            )
        )
    return points, errors


def _row_values(raw) -> dict[str, str]:
    """The row's cells as text by field; missing cells are empty, extra ones ignored."""
    cells = [_text(v) for v in list(raw)[: len(ALL_COLUMNS)]]
    cells += [""] * (len(ALL_COLUMNS) - len(cells))
    return dict(zip([f for f, _h in ALL_COLUMNS], cells, strict=True))


def _check_frequency_and_area(
    values: dict, number: int, line_code: str, errors: list
) -> tuple[Frequency | None, Area | None]:
    """How often the point is checked and its line's area, each None when left empty."""
    frequency = area = None
    if values["frequency"]:
        frequency = FREQUENCY_WORDS.get(values["frequency"].lower())
        if frequency is None:
            errors.append(
                RowError(
                    number, HEADER_OF["frequency"], _("Write 每日, 每周, 每半月, 每月 or 每季.")
                )
            )
    if values["area"]:
        area = AREA_WORDS.get(values["area"].lower())
        if area is None:
            errors.append(
                RowError(
                    number,
                    HEADER_OF["area"],
                    _("Write one of %(areas)s.", areas="、".join(AREA_EXPORT.values())),
                )
            )
        elif not line_code:
            errors.append(
                RowError(number, HEADER_OF["area"], _("Block-check points have no area."))
            )
    return frequency, area


def _check_line(values: dict, number: int, line_names: dict, errors: list) -> str:
    """The row's service line code, checked, with its name the same as in earlier rows."""
    line_code = values["line_code"].upper()
    if not line_code:
        return line_code
    _check_length(errors, number, HEADER_OF["line_code"], line_code, 16)
    if not CODE_PATTERN.match(line_code):
        errors.append(
            RowError(
                number, HEADER_OF["line_code"], _("Use letters, digits, dot, dash or underscore.")
            )
        )
    _check_length(errors, number, HEADER_OF["line_name"], values["line_name"], 100)
    known = line_names.setdefault(line_code, values["line_name"])
    if values["line_name"] and known != values["line_name"]:
        errors.append(
            RowError(
                number,
                HEADER_OF["line_name"],
                _(
                    "Service line %(code)s is named %(name)s in an earlier row.",
                    code=line_code,
                    name=known,
                ),
            )
        )
    return line_code


def _check_point_texts(values: dict, number: int, codes_seen: dict, errors: list) -> None:
    """The category, the check point's code (used in no earlier row) and its texts."""
    _check_length(errors, number, HEADER_OF["category"], values["category"], 100)
    code = values["code"]
    _check_length(errors, number, HEADER_OF["code"], code, 32)
    if code and not CODE_PATTERN.match(code):
        errors.append(
            RowError(number, HEADER_OF["code"], _("Use letters, digits, dot, dash or underscore."))
        )
    if code in codes_seen:
        errors.append(
            RowError(
                number,
                HEADER_OF["code"],
                _("Code %(code)s is already used in row %(row)d.", code=code, row=codes_seen[code]),
            )
        )
    codes_seen.setdefault(code, number)
    _check_length(errors, number, HEADER_OF["title"], values["title"], 200)
    _check_length(errors, number, HEADER_OF["standard"], values["standard"], 2000)
    _check_length(
        errors, number, HEADER_OF["good_practice"], values["good_practice"], 2000, required=False
    )


def _check_grading(
    values: dict, number: int, errors: list
) -> tuple[Severity | None, Decimal | None, bool]:
    """The row's severity, deduction and whether the check point is in use."""
    severity = SEVERITY_WORDS.get(values["severity"].lower())
    if severity is None:
        errors.append(RowError(number, HEADER_OF["severity"], _("Write 一般, 较重 or 严重.")))
    deduction = _parse_deduction(values["deduction"], number, HEADER_OF["deduction"], errors)
    active_word = values["active"].lower()
    if active_word not in YES_WORDS | NO_WORDS:
        errors.append(RowError(number, HEADER_OF["active"], _("Write 是 or 否.")))
    return severity, deduction, active_word in YES_WORDS


def _parse_deduction(text, number, header, errors) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(RowError(number, header, _("Enter a number of points, such as 2 or 0.5.")))
        return None
    if not value.is_finite() or value < 0 or value > 100:
        errors.append(RowError(number, header, _("Points must be between 0 and 100.")))
        return None
    if value != value.quantize(Decimal("0.1")):
        errors.append(RowError(number, header, _("Use at most one decimal place.")))
        return None
    return value.quantize(Decimal("0.1"))


def apply_rows(points: list[PointRow]) -> ImportReport:
    """Create or update lines, categories and check points (matched by code)."""
    report = ImportReport()
    lines = {line.code: line for line in db.session.scalars(sa.select(ServiceLine))}
    categories = {
        (c.service_line_id, c.name): c for c in db.session.scalars(sa.select(CheckCategory))
    }
    existing = {p.code: p for p in db.session.scalars(sa.select(CheckPoint))}
    point_positions: dict[int, int] = {}

    for point in points:
        line = _line_for(point, lines) if point.line_code else None
        line_id = line.id if line else None
        category = categories.get((line_id, point.category))
        if category is None:
            siblings = [c for (lid, _n), c in categories.items() if lid == line_id]
            category = CheckCategory(
                service_line_id=line_id, name=point.category, position=len(siblings) + 1
            )
            db.session.add(category)
            db.session.flush()
            categories[(line_id, point.category)] = category

        check_point = existing.get(point.code)
        if check_point is None:
            check_point = CheckPoint(code=point.code)
            db.session.add(check_point)
            existing[point.code] = check_point
            report.created += 1
        else:
            report.updated += 1
        point_positions[category.id] = point_positions.get(category.id, 0) + 1
        check_point.category_id = category.id
        check_point.title = point.title
        check_point.standard = point.standard
        check_point.good_practice = point.good_practice
        check_point.severity = point.severity
        check_point.deduction = point.deduction
        check_point.active = point.active
        if point.frequency is not None:
            check_point.frequency = point.frequency
        elif check_point.frequency is None:
            check_point.frequency = Frequency.MONTHLY
        check_point.position = point_positions[category.id]
    db.session.flush()
    return report


def _line_for(point: PointRow, lines: dict[str, ServiceLine]) -> ServiceLine:
    """The row's service line, made (after the others) if new, renamed and placed in an area
    if the row says so."""
    line = lines.get(point.line_code)
    if line is None:
        position = max((known.position for known in lines.values()), default=0) + 1
        line = ServiceLine(
            code=point.line_code, name=point.line_name or point.line_code, position=position
        )
        db.session.add(line)
        db.session.flush()
        lines[line.code] = line
    elif point.line_name and line.name != point.line_name:
        line.name = point.line_name
    if point.area is not None:
        line.area = point.area
    return line


def read_sheet(stream) -> tuple[list[str], list[tuple]]:
    """The first sheet's header and data rows; at most MAX_ROWS + 1 data rows are read."""
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = [_text(v) for v in next(rows, ())]
            data = list(itertools.islice(rows, MAX_ROWS + 1))
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl fails on damaged files with many exception types
        raise Refused(str(exc), status=422) from exc
    return header, data


def import_xlsx(stream) -> ImportReport:
    """Check a spreadsheet in full; if every row is good, apply it, else change nothing."""
    try:
        header, data = read_sheet(stream)
    except Refused:
        return ImportReport(errors=[RowError(0, "", _("This is not an XLSX spreadsheet."))])
    if header[: len(HEADERS)] != HEADERS:
        missing = [h for i, h in enumerate(HEADERS) if i >= len(header) or header[i] != h]
        return ImportReport(
            errors=[
                RowError(
                    1,
                    "",
                    _(
                        "The first row must be the headers %(headers)s. Missing or out of order: "
                        "%(missing)s.",
                        headers="、".join(HEADERS),
                        missing="、".join(missing),
                    ),
                )
            ]
        )
    width = _columns_present(header)
    data = [tuple(row[:width]) for row in data]
    if len(data) > MAX_ROWS:
        return ImportReport(
            errors=[RowError(0, "", _("At most %(n)d rows can be imported at once.", n=MAX_ROWS))]
        )
    points, errors = parse_rows(data)
    if errors:
        return ImportReport(errors=errors)
    if not points:
        return ImportReport(errors=[RowError(2, "", _("The spreadsheet has no check points."))])
    return apply_rows(points)


def _columns_present(header: list[str]) -> int:
    """How many columns to read: the required ones and the optional ones that follow in order."""
    width = len(HEADERS)
    for _field, optional_header in OPTIONAL_COLUMNS:
        if len(header) <= width or header[width] != optional_header:
            break
        width += 1
    return width


def export_xlsx() -> bytes:
    """The whole library as a spreadsheet in the import format."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "检查标准"
    append_row(sheet, EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for point in ordered_check_points():
        line = point.category.service_line
        append_row(
            sheet,
            [
                line.code if line else "",
                line.name if line else "",
                point.category.name,
                point.code,
                point.title,
                point.standard,
                point.good_practice,
                SEVERITY_EXPORT[point.severity],
                float(point.deduction),
                "是" if point.active else "否",
                FREQUENCY_EXPORT[point.frequency],
                AREA_EXPORT[line.area] if line and line.area else "",
            ],
        )
    widths = (12, 14, 16, 12, 28, 50, 40, 10, 8, 6, 10, 14)
    for letter, width in zip("ABCDEFGHIJKL", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ordered_check_points() -> list[CheckPoint]:
    """Every check point in library order; block-check categories come last."""
    return list(
        db.session.scalars(
            sa.select(CheckPoint)
            .join(CheckPoint.category)
            .outerjoin(CheckCategory.service_line)
            .order_by(
                CheckCategory.service_line_id.is_(None),
                ServiceLine.position,
                CheckCategory.position,
                CheckPoint.position,
                CheckPoint.id,
            )
        )
    )


def default_catalogue_rows(path: Path = DEFAULT_CATALOGUE) -> list[tuple]:
    """Expand our compact catalogue text into rows in COLUMNS order.

    `= CODE name [area]` opens a service line (`= - name` for block-check points; the area
    in brackets is optional), `## name` a category, and
    `SEV POINTS [FREQUENCY] | title | standard | what good looks like` is a check point with
    SEV one of G, M, C and FREQUENCY one of 每日, 每周, 每半月, 每月, 每季 (optional).
    Codes are numbered CODE-ccpp in file order.
    """
    severity_words = {"G": "一般", "M": "较重", "C": "严重"}
    rows, line_code, line_name, prefix, area = [], "", "", "", ""
    category, category_no, point_no = "", 0, 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#!"):
            continue
        if line.startswith("= "):
            code, line_name = line[2:].split(" ", 1)
            line_name, _bracket, area = line_name.partition(" [")
            area = area.rstrip("]")
            line_code = "" if code == "-" else code
            prefix = line_code or "BLK"
            category_no = 0
        elif line.startswith("## "):
            category = line[3:].strip()
            category_no += 1
            point_no = 0
        else:
            head, title, standard, good = (part.strip() for part in line.split("|"))
            sev, points, *frequency = head.split()
            point_no += 1
            rows.append(
                (
                    line_code,
                    line_name if line_code else "",
                    category,
                    f"{prefix}-{category_no:02d}{point_no:02d}",
                    title,
                    standard,
                    good,
                    severity_words[sev],
                    points,
                    "是",
                    "".join(frequency),
                    area if line_code else "",
                )
            )
    return rows


def load_default_catalogue() -> ImportReport:
    """Load the shipped catalogue through the same checks as a bureau's spreadsheet."""
    points, errors = parse_rows(default_catalogue_rows())
    if errors:
        return ImportReport(errors=errors)
    return apply_rows(points)
