"""Reading an organisation workbook: the file checked as a whole first (size, a password,
not a workbook at all, merged cells), then each known sheet streamed row by row, values only.

Nothing here evaluates a formula: the workbook is read with its formulas as formulas, and a
cell holding one is a problem, since its value would be whatever the last program to save it
computed. Reading stops at MAX_ROWS data rows in a sheet, so memory stays bounded.
"""

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from xml.etree import ElementTree

from flask_babel import gettext as _
from openpyxl import load_workbook

from app.core.uploads import is_too_large, too_large_message
from app.organisation.sheets import MAX_ROWS, SHEETS, SheetSpec

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: .xls, or an encrypted .xlsx
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # what every part of the file holds once unpacked
MAX_COLUMNS = 64  # columns read per row; ours are fewer, later ones are notes
MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+)(\d+)(?::([A-Z]+\d+))?\"")
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass
class Problem:
    """Something wrong with the workbook, and where: sheet title, row number, column header
    (empty where the whole file, sheet or row is meant)."""

    sheet: str
    row: int | None
    column: str
    message: str


class Unreadable(Exception):
    """The file cannot be read as an organisation workbook at all."""


class Formula:
    """A cell holding a formula: never evaluated, always refused."""


FORMULA = Formula()


@dataclass
class RawRow:
    number: int
    cells: dict[str, object]  # field -> None, str, Decimal, datetime or bool, or FORMULA


@dataclass
class RawSheet:
    spec: SheetSpec
    present: set[str]  # the fields whose header the sheet has
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class RawWorkbook:
    sheets: dict[str, RawSheet] = field(default_factory=dict)  # by SheetSpec.key
    problems: list[Problem] = field(default_factory=list)


def check_file(data: bytes) -> None:
    """Refuse, with a reason a person can act on, a file that is no workbook we can read."""
    if is_too_large(data):
        raise Unreadable(too_large_message())
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise Unreadable(
                _(
                    "This workbook is protected by a password. Open it in Excel or WPS, remove "
                    "the password, save it and upload it again."
                )
            )
        raise Unreadable(_("This is an old Excel file (.xls). Save it as .xlsx and upload it."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise Unreadable(_("This is not an XLSX workbook.")) from None
    if "[Content_Types].xml" not in names:
        raise Unreadable(_("This is not an XLSX workbook."))
    if unpacked > MAX_UNPACKED_BYTES:
        raise Unreadable(_("This workbook unpacks to more than the import can hold."))


def read_workbook(data: bytes) -> RawWorkbook:
    """Every known sheet's rows, and every problem of the file's shape."""
    check_file(data)
    workbook = RawWorkbook()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            merged = merged_ranges(archive, {spec.title for spec in SHEETS})
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl fails on damaged files with many exception types
        raise Unreadable(_("This is not an XLSX workbook.")) from exc
    try:
        known = {spec.title: spec for spec in SHEETS}
        for title in book.sheetnames:
            spec = known.get(title)
            if spec is None:
                continue
            for top_left_row, cells in merged.get(title, []):
                workbook.problems.append(
                    Problem(
                        title,
                        top_left_row,
                        cells,
                        _("Merged cells: unmerge them and fill in every cell."),
                    )
                )
            workbook.sheets[spec.key] = _read_sheet(book[title], spec, workbook.problems)
    except Exception as exc:
        raise Unreadable(_("This is not an XLSX workbook.")) from exc
    finally:
        book.close()
    if not workbook.sheets:
        raise Unreadable(
            _(
                "The workbook has none of the sheets %(sheets)s. Start from the template.",
                sheets="、".join(spec.title for spec in SHEETS),
            )
        )
    return workbook


def _read_sheet(sheet, spec: SheetSpec, problems: list[Problem]) -> RawSheet:
    sheet.reset_dimensions()  # a saved size can be wrong; rows are read until they end
    first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS), ())
    positions = _column_positions([_header_text(cell.value) for cell in first], spec, problems)
    raw = RawSheet(spec, set(positions))
    if len(positions) < len([c for c in spec.columns if not c.optional]):
        return raw  # a required header is missing: its rows cannot be read
    rows = sheet.iter_rows(min_row=2, max_col=max(positions.values()) + 1)
    for number, cells in enumerate(rows, start=2):
        values = {
            name: _cell_value(cells[position], spec, name, number, problems)
            for name, position in positions.items()
        }
        if all(value is None or value == "" for value in values.values()):
            continue
        if len(raw.rows) == MAX_ROWS:
            problems.append(
                Problem(
                    spec.title,
                    number,
                    "",
                    _(
                        "A sheet may hold at most %(n)d rows; split the workbook and import it "
                        "in parts.",
                        n=MAX_ROWS,
                    ),
                )
            )
            break
        raw.rows.append(RawRow(number, values))
    return raw


def _header_text(value) -> str:
    return str(value).strip() if value is not None else ""


def _column_positions(header: list[str], spec: SheetSpec, problems) -> dict[str, int]:
    """Where each of the sheet's columns is, found by its header; problems for missing ones."""
    positions = {}
    for column in spec.columns:
        if header.count(column.header) > 1:
            problems.append(
                Problem(spec.title, 1, column.header, _("This header appears more than once."))
            )
        if column.header in header:
            positions[column.field] = header.index(column.header)
        elif not column.optional:
            problems.append(
                Problem(
                    spec.title,
                    1,
                    column.header,
                    _("The column %(header)s is missing from the first row.", header=column.header),
                )
            )
    return positions


def _cell_value(cell, spec: SheetSpec, name: str, number: int, problems: list[Problem]):
    """A cell's value as typed: text stripped, numbers as Decimal (a per cent format read as
    the per cent shown), dates as datetime; a formula or an error value is a problem."""
    if cell is None or cell.value is None:
        return None
    value = cell.value
    if cell.data_type == "f":
        problems.append(
            Problem(
                spec.title,
                number,
                spec.header_of(name),
                _("A formula: type the value itself (formulas are not evaluated)."),
            )
        )
        return FORMULA
    if cell.data_type == "e":
        problems.append(
            Problem(spec.title, number, spec.header_of(name), _("The cell holds an error value."))
        )
        return FORMULA
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | datetime):
        return value
    if isinstance(value, int | float):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (cell.number_format or ""):
            amount *= 100
        return amount
    return str(value).strip()


def merged_ranges(archive: zipfile.ZipFile, titles) -> dict[str, list[tuple[int, str]]]:
    """The named sheets' merged cells as (top row, range), read from each sheet's XML, which
    the streaming reader does not look at; the XML is scanned in pieces, never held whole."""
    found: dict[str, list[tuple[int, str]]] = {}
    for title, path in _sheet_paths(archive).items():
        if title not in titles:
            continue
        with archive.open(path) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                text = tail + chunk
                for match in MERGE_CELL.finditer(text):
                    first = match.group(1).decode() + match.group(2).decode()
                    cells = f"{first}:{match.group(3).decode()}" if match.group(3) else first
                    found.setdefault(title, []).append((int(match.group(2)), cells))
                cut = text.rfind(b"<")  # a tag the chunk's end cuts is scanned with the next
                tail = text[cut:] if cut != -1 and b">" not in text[cut:] else b""
    return found


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the path of its XML inside the file."""
    package = ElementTree.fromstring(archive.read("_rels/.rels"))
    main = next(
        rel.get("Target", "").lstrip("/")
        for rel in package.iter(f"{{{PACKAGE_RELS_NS}}}Relationship")
        if rel.get("Type", "").endswith("/officeDocument")
    )
    folder, name = posixpath.split(main)
    relations = ElementTree.fromstring(
        archive.read(posixpath.join(folder, "_rels", f"{name}.rels"))
    )
    targets = {}
    for rel in relations.iter(f"{{{PACKAGE_RELS_NS}}}Relationship"):
        target = rel.get("Target", "")
        absolute = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id")] = posixpath.normpath(absolute)
    names = set(archive.namelist())
    paths = {}
    for sheet in ElementTree.fromstring(archive.read(main)).iter(f"{{{MAIN_NS}}}sheet"):
        path = targets.get(sheet.get(f"{{{RELATIONSHIP_NS}}}id"))
        if path in names:
            paths[sheet.get("name")] = path
    return paths
