"""Writing the organisation workbook: the system's places, contractors, staff with their
certificates and accounts in the import's own format (export, edit, import again), or the
empty template with example rows. Written row by row (openpyxl's write-only mode)."""

import io

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.catalog.models import Contractor, StaffMember
from app.catalog.sites import site_tree
from app.core.extensions import db
from app.organisation.sheets import (
    EXAMPLES,
    GUIDE_INTRO,
    GUIDE_TITLE,
    SHEETS,
    SheetSpec,
    chinese_label,
)

TEXT = "@"  # typed into such a column, 001 stays 001
DATE = "yyyy-mm-dd"
FORMATS = {
    "code": TEXT,
    "parent": TEXT,
    "licence": TEXT,
    "contact_phone": TEXT,
    "lines": TEXT,
    "sites": TEXT,
    "phone": TEXT,
    "certificate_number": TEXT,
    "username": TEXT,
    "contract_start": DATE,
    "contract_end": DATE,
    "issued_on": DATE,
    "expires_on": DATE,
}
WIDE = {"name": 28, "sites": 30, "contractor": 28, "email": 26, "lines": 16, "licence": 22}


def export_workbook() -> bytes:
    """The organisation as the system holds it."""
    return _workbook(
        {
            "places": _place_rows(),
            "contractors": _contractor_rows(),
            "staff": _staff_rows(),
            "accounts": _account_rows(),
        }
    )


def template_workbook() -> bytes:
    """The empty format with a few example rows to replace."""
    return _workbook({key: iter(rows) for key, rows in EXAMPLES.items()})


def _workbook(rows_by_sheet: dict) -> bytes:
    workbook = Workbook(write_only=True)
    _guide(workbook.create_sheet(GUIDE_TITLE))
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.title)
        for position, column in enumerate(spec.columns, start=1):
            dimension = sheet.column_dimensions[get_column_letter(position)]
            dimension.width = WIDE.get(column.field, 14)
            if column.field in FORMATS:
                dimension.number_format = FORMATS[column.field]
        sheet.freeze_panes = "A2"
        sheet.append([_bold(sheet, header) for header in spec.headers])
        for values in rows_by_sheet[spec.key]:
            sheet.append(_cells(sheet, spec, values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bold(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    return cell


def _cells(sheet, spec: SheetSpec, values: list) -> list:
    cells = []
    for column, value in zip(spec.columns, values, strict=True):
        if value is None or value == "":
            cells.append(None)
            continue
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # what people typed stays text, never a formula
        if column.field in FORMATS:
            cell.number_format = FORMATS[column.field]
        cells.append(cell)
    return cells


def _guide(sheet) -> None:
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 20
    sheet.column_dimensions["C"].width = 8
    sheet.column_dimensions["D"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in GUIDE_INTRO:
        cell = WriteOnlyCell(sheet, value=line)
        cell.alignment = Alignment(wrap_text=False)
        sheet.append([cell])
    sheet.append([])
    sheet.append([_bold(sheet, text) for text in ("工作表", "列", "必有此列", "填写说明")])
    for spec in SHEETS:
        for column in spec.columns:
            help_cell = WriteOnlyCell(sheet, value=column.help)
            help_cell.alignment = wrap
            sheet.append([spec.title, column.header, "否" if column.optional else "是", help_cell])


def _place_rows():
    nodes = site_tree()
    code_of = {node.site.id: node.site.code for node in nodes}
    for node in nodes:
        site = node.site
        yield [site.code, site.name, chinese_label(site.kind), code_of.get(site.parent_id, "")]


def _contractor_rows():
    contractors = db.session.scalars(
        sa.select(Contractor)
        .order_by(Contractor.name)
        .options(selectinload(Contractor.service_lines), selectinload(Contractor.sites))
    )
    for c in contractors:
        yield [
            c.name,
            c.short_name,
            c.licence_no,
            c.contact_person,
            c.contact_phone,
            c.contract_start,
            c.contract_end,
            c.contract_value,
            c.deposit_share,
            c.satisfaction_target,
            "、".join(line.code for line in c.service_lines),
            "、".join(sorted(site.code for site in c.sites)),
            _yes_no(c.active),
        ]


def _staff_rows():
    members = db.session.scalars(
        sa.select(StaffMember)
        .join(StaffMember.contractor)
        .order_by(Contractor.name, StaffMember.name, StaffMember.phone, StaffMember.id)
        .options(selectinload(StaffMember.certificates))
        .execution_options(yield_per=500)
    )
    names = dict(db.session.execute(sa.select(Contractor.id, Contractor.name)).all())
    for member in members:
        person = [
            names[member.contractor_id],
            member.name,
            member.post,
            member.phone,
            _yes_no(member.active),
        ]
        certificates = sorted(
            member.certificates, key=lambda c: (c.expires_on, c.kind, c.number, c.id)
        )
        if not certificates:
            yield person + ["", "", None, None]
        for held in certificates:
            yield person + [held.kind, held.number, held.issued_on, held.expires_on]


def _account_rows():
    names = dict(db.session.execute(sa.select(Contractor.id, Contractor.name)).all())
    for user in db.session.scalars(sa.select(User).order_by(sa.func.lower(User.username))):
        yield [
            user.username,
            user.display_name,
            chinese_label(user.role),
            names.get(user.contractor_id, ""),
            user.email,
            user.phone,
            _yes_no(user.active),
        ]


def _yes_no(value: bool) -> str:
    return "是" if value else "否"
