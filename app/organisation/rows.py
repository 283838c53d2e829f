"""From cells to typed rows: each sheet's rows checked cell by cell, every problem named by
its sheet, row and column. What a row refers to elsewhere (a parent place, a contractor, a
service line) is checked by the plan, which sees the database too."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.organisation.sheets import (
    NO_WORDS,
    YES_WORDS,
    SheetSpec,
    kind_words,
    role_words,
)
from app.organisation.workbook import FORMULA, Problem, RawRow, RawSheet, RawWorkbook

CODE = re.compile(r"^[A-Za-z0-9_.-]+$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
DATE_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")
MONEY_LIMIT = Decimal("999999999999.99")  # Numeric(14, 2)


@dataclass
class PlaceRow:
    row: int
    code: str
    name: str
    kind: SiteKind
    parent: str  # "" at the top of the tree


@dataclass
class ContractorRow:
    row: int
    name: str
    short_name: str
    licence: str
    contract_start: date
    contract_end: date
    contract_value: Decimal
    deposit_share: Decimal
    satisfaction_target: Decimal
    lines: list[str]
    sites: list[str]
    contact_person: str | None  # None: the column is absent, so the field is left alone
    contact_phone: str | None
    active: bool | None


@dataclass
class CertificateRow:
    row: int
    kind: str
    number: str
    issued_on: date | None
    expires_on: date


@dataclass
class StaffRow:
    row: int
    contractor: str
    name: str
    post: str
    phone: str
    active: bool | None
    certificate: CertificateRow | None


@dataclass
class AccountRow:
    row: int
    username: str
    display_name: str
    role: Role
    contractor: str
    email: str
    phone: str
    active: bool | None


@dataclass
class Rows:
    """The good rows of each sheet present (None: the sheet is absent), and the problems."""

    places: list[PlaceRow] | None = None
    contractors: list[ContractorRow] | None = None
    staff: list[StaffRow] | None = None
    accounts: list[AccountRow] | None = None
    problems: list[Problem] = field(default_factory=list)
    # the keys of refused rows, so that rows naming them are not refused a second time
    rejected: dict[str, set[str]] = field(default_factory=dict)


ABSENT = object()  # a column the sheet lacks, or a cell already refused as it was read


class RowReader:
    """Reads one row's cells by field, recording a problem against the cell for each one
    that cannot be used. A field whose column the sheet lacks reads as None: left alone."""

    def __init__(self, spec: SheetSpec, raw: RawRow, present: set[str], problems: list[Problem]):
        self.spec, self.raw, self.present, self.problems = spec, raw, present, problems
        self.ok = True

    def fail(self, name: str, message: str) -> None:
        self.ok = False
        header = self.spec.header_of(name)
        self.problems.append(Problem(self.spec.title, self.raw.number, header, message))

    def _get(self, name: str):
        if name not in self.present:
            return ABSENT
        value = self.raw.cells.get(name)
        if value is FORMULA:
            self.ok = False  # the problem was recorded when the cell was read
            return ABSENT
        return value

    def text(self, name: str, limit: int, *, required: bool = False) -> str | None:
        value = self._get(name)
        if value is ABSENT:
            return None
        value = as_text(value)
        if required and not value:
            self.fail(name, _("Required."))
        elif len(value) > limit:
            self.fail(name, _("At most %(n)d characters.", n=limit))
        return value

    def code(self, name: str, limit: int, *, required: bool = False) -> str:
        value = self.text(name, limit, required=required) or ""
        if value and not CODE.match(value):
            self.fail(name, _("Use letters, digits, dot, dash or underscore."))
        return value

    def date(self, name: str, *, required: bool = True) -> date | None:
        value = self._get(name)
        if value is ABSENT:
            return None
        if value is None or value == "":
            if required:
                self.fail(name, _("Required."))
            return None
        if isinstance(value, datetime):
            return value.date()
        match = DATE_TEXT.match(value) if isinstance(value, str) else None
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        self.fail(name, _("Not a date: use a date cell or text such as 2026-03-01."))
        return None

    def number(self, name: str, high: Decimal) -> Decimal | None:
        """A number from 0 to `high` with at most two decimal places."""
        value = self._get(name)
        if value is ABSENT:
            return None
        text = as_text(value).replace(",", "").replace("，", "").removesuffix("%").strip()
        if not text:
            self.fail(name, _("Required."))
            return None
        try:
            amount = value if isinstance(value, Decimal) else Decimal(text)
        except InvalidOperation:
            self.fail(name, _("Not a number."))
            return None
        if not amount.is_finite() or amount < 0 or amount > high:
            self.fail(name, _("Must be between 0 and %(high)s.", high=f"{high:,f}"))
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.fail(name, _("Use at most two decimal places."))
            return None
        return amount.quantize(Decimal("0.01"))

    def flag(self, name: str) -> bool | None:
        value = self._get(name)
        if value is ABSENT or isinstance(value, bool):
            return None if value is ABSENT else value
        word = as_text(value).lower()
        if word not in YES_WORDS | NO_WORDS:
            self.fail(name, _("Write 是 or 否."))
            return None
        return word in YES_WORDS

    def codes(self, name: str) -> list[str]:
        value = self._get(name)
        text = "" if value is ABSENT else as_text(value)
        return [part for part in LIST_SEPARATORS.split(text) if part]

    def choice(self, name: str, words: dict, message: str):
        value = self._get(name)
        if value is ABSENT:
            return None
        word = as_text(value)
        found = words.get(word.lower())
        if found is None:
            self.fail(name, message if word else _("Required."))
        return found

    def is_empty(self, name: str) -> bool:
        return self.raw.cells.get(name) in (None, "")


def as_text(value) -> str:
    """A cell as text. A number is the text of the number: 12 for 12 or 12.0 (a number cell
    that lost a code's leading zeros cannot give them back; keep such columns as text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else f"{value.normalize():f}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def parse_workbook_rows(raw: RawWorkbook) -> Rows:
    """Typed rows of every sheet present, and every problem found so far."""
    rows = Rows(problems=list(raw.problems))
    for key, parse in (
        ("places", _place),
        ("contractors", _contractor),
        ("staff", _staff),
        ("accounts", _account),
    ):
        sheet = raw.sheets.get(key)
        if sheet is not None:
            rejected = rows.rejected.setdefault(key, set())
            setattr(rows, key, _parse_sheet(sheet, parse, rows.problems, rejected))
    return rows


KEY_FIELDS = {"places": ("code",), "contractors": ("licence", "name")}


def _parse_sheet(sheet: RawSheet, parse, problems: list[Problem], rejected: set[str]) -> list:
    words = {"places": kind_words, "accounts": role_words}.get(sheet.spec.key, dict)()
    parsed = []
    for raw in sheet.rows:
        reader = RowReader(sheet.spec, raw, sheet.present, problems)
        row = parse(reader, words)
        if reader.ok:
            parsed.append(row)
        else:
            keys = (getattr(row, name) for name in KEY_FIELDS.get(sheet.spec.key, ()))
            rejected.update(key for key in keys if key)
    return parsed


def _place(r: RowReader, kinds) -> PlaceRow:
    return PlaceRow(
        row=r.raw.number,
        code=r.code("code", 32, required=True),
        name=r.text("name", 100, required=True),
        kind=r.choice("kind", kinds, _("Write 园区, 楼宇, 楼层 or 房间/区域.")),
        parent=r.code("parent", 32),
    )


def _contractor(r: RowReader, _words) -> ContractorRow:
    start, end = r.date("contract_start"), r.date("contract_end")
    if start and end and end < start:
        r.fail("contract_end", _("The contract cannot end before it starts."))
    return ContractorRow(
        row=r.raw.number,
        name=r.text("name", 200, required=True),
        short_name=r.text("short_name", 50, required=True),
        licence=_licence(r),
        contract_start=start,
        contract_end=end,
        contract_value=r.number("contract_value", MONEY_LIMIT),
        deposit_share=r.number("deposit_share", Decimal(100)),
        satisfaction_target=r.number("satisfaction_target", Decimal(100)),
        lines=[code.upper() for code in r.codes("lines")],
        sites=r.codes("sites"),
        contact_person=r.text("contact_person", 50),
        contact_phone=r.text("contact_phone", 32),
        active=r.flag("active"),
    )


def _licence(r: RowReader) -> str:
    value = re.sub(r"\s", "", r.text("licence", 40, required=True) or "").upper()
    if not value:
        return value
    try:
        uscc.validate(value)
    except InvalidChecksum:
        r.fail("licence", _("The check digit (the last character) is wrong: check the code."))
    except ValidationError:
        r.fail("licence", _("This is not a valid unified social credit code."))
    return value


def _staff(r: RowReader, _words) -> StaffRow:
    kind = r.text("certificate_kind", 50) or ""
    number = r.text("certificate_number", 50) or ""
    issued, expires = r.date("issued_on", required=False), r.date("expires_on", required=False)
    certificate = None
    if kind:
        if expires is None and r.is_empty("expires_on"):
            r.fail("expires_on", _("Required."))
        if issued and expires and expires < issued:
            r.fail("expires_on", _("A certificate cannot expire before it is issued."))
        certificate = CertificateRow(r.raw.number, kind, number, issued, expires)
    elif number or issued or expires:
        r.fail("certificate_kind", _("Name the kind of certificate, or leave its cells empty."))
    return StaffRow(
        row=r.raw.number,
        contractor=r.text("contractor", 200, required=True),
        name=r.text("name", 50, required=True),
        post=r.text("post", 50) or "",
        phone=r.text("phone", 32) or "",
        active=r.flag("active"),
        certificate=certificate,
    )


def _account(r: RowReader, roles) -> AccountRow:
    username = r.text("username", 64, required=True)
    if username and not USERNAME.match(username):
        r.fail("username", _("Use 2 to 64 letters, digits, dots, dashes or underscores."))
    email = r.text("email", 255) or ""
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            r.fail("email", _("Not an e-mail address."))
    return AccountRow(
        row=r.raw.number,
        username=username,
        display_name=r.text("display_name", 100, required=True),
        role=r.choice("role", roles, _("Write 监管员, 监管科管理员, 承包单位 or 系统管理员.")),
        contractor=r.text("contractor", 200) or "",
        email=email,
        phone=r.text("phone", 32) or "",
        active=r.flag("active"),
    )
