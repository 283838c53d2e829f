"""Workbooks we write: what people typed goes in as text, never as a formula."""

from openpyxl.worksheet.worksheet import Worksheet


def append_row(sheet: Worksheet, values: list) -> None:
    """Append a row. openpyxl takes a string starting with "=" for a formula, so a note such
    as =HYPERLINK(...) from a public form would run in the reader's spreadsheet: keep it text."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
