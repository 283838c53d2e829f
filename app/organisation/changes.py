"""What an import would do, record by record: the outcome a person reads (created, changed
with each field's old and new value, unchanged, missing from the workbook) and the work the
apply step carries out. Nothing here touches the database."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.catalog.models import Certificate, Contractor, Site, StaffMember
from app.core.extensions import LabelledEnum
from app.organisation.rows import AccountRow, CertificateRow, ContractorRow, PlaceRow, StaffRow

ENTITIES = {
    "places": _l("Places"),
    "contractors": _l("Contractors"),
    "staff": _l("Staff"),
    "certificates": _l("Certificates"),
    "accounts": _l("Accounts"),
}


@dataclass
class Difference:
    column: str
    old: str
    new: str


@dataclass
class Change:
    key: str  # how a person recognises the record
    row: int | None
    differences: list[Difference] = field(default_factory=list)


@dataclass
class Outcome:
    created: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)  # in the system, not in the workbook

    def record(self, key: str, row: int, existing: bool, differences: list[Difference]) -> bool:
        """Count a row against its record; True if the record is to be created or changed."""
        if not existing:
            self.created.append(Change(key, row))
        elif differences:
            self.changed.append(Change(key, row, differences))
        else:
            self.unchanged += 1
            return False
        return True


def shown(value) -> str:
    """A value as the dry run shows it: dates as 2026-03-01, amounts without trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, LabelledEnum):
        return str(value.label)
    if isinstance(value, list | tuple | set):
        return "、".join(value)
    return str(value)


def differences(pairs) -> list[Difference]:
    """The fields whose value changes: pairs of (column, old, new); a new value of None means
    the column is absent, so the field is left as it is."""
    return [
        Difference(column, shown(old), shown(new))
        for column, old, new in pairs
        if new is not None and old != new
    ]


@dataclass
class PlaceWork:
    row: PlaceRow
    site: Site | None
    todo: bool = True


@dataclass
class ContractorWork:
    """A contractor as it will be: from a row of the workbook, or as the system has it."""

    row: ContractorRow | None
    contractor: Contractor | None
    todo: bool = False
    record: Contractor | None = None  # the saved contractor, once applied

    @property
    def label(self) -> str:
        if self.row is not None:
            return self.row.short_name
        return self.contractor.short_name


@dataclass
class CertificateWork:
    row: CertificateRow
    certificate: Certificate | None
    todo: bool = True


@dataclass
class StaffWork:
    row: StaffRow
    contractor: ContractorWork
    member: StaffMember | None
    todo: bool = True
    certificates: list[CertificateWork] = field(default_factory=list)


@dataclass
class AccountWork:
    row: AccountRow
    user: User | None
    contractor: ContractorWork | None
    todo: bool = True


@dataclass
class Work:
    places: list[PlaceWork] = field(default_factory=list)
    contractors: list[ContractorWork] = field(default_factory=list)
    staff: list[StaffWork] = field(default_factory=list)
    accounts: list[AccountWork] = field(default_factory=list)
    sites: dict[str, Site] = field(default_factory=dict)  # the system's, by code
    lines: dict = field(default_factory=dict)  # service lines by the words a cell may use
