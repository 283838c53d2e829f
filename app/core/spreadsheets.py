"""Workbooks we write: what people typed goes in as text, never as a formula."""

import io

from flask import send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def append_row(sheet: Worksheet, values: list) -> None:
    """Append a row. openpyxl takes a string starting with "=" for a formula, so a note such
    as =HYPERLINK(...) from a public form would run in the reader's spreadsheet: keep it text."""
    sheet.append([_as_entered(sheet, value) for value in values])


def _as_entered(sheet: Worksheet, value):
    if not (isinstance(value, str) and value.startswith("=")):
        return value  # only such a string could be read as a formula
    cell = WriteOnlyCell(sheet, value=value)  # a cell either kind of sheet takes
    cell.data_type = "s"
    return cell


def xlsx_response(workbook: Workbook | bytes, filename: str):
    """A workbook as a download named `filename`."""
    if isinstance(workbook, Workbook):
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()
    else:
        data = workbook
    return send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=XLSX)
