"""Workbooks we write: what people typed goes in as text, never as a formula."""

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet


def append_row(sheet: Worksheet, values: list) -> None:
    """Append a row. openpyxl takes a string starting with "=" for a formula, so a note such
    as =HYPERLINK(...) from a public form would run in the reader's spreadsheet: keep it text."""
    sheet.append([_as_entered(sheet, value) for value in values])


def _as_entered(sheet: Worksheet, value):
    cell = Cell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell
