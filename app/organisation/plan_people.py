"""The plan for people: staff and their certificates (a staff member is known by contractor,
name and phone; a certificate by its kind and number) and accounts (by username, whatever
its case, as login matches it)."""

from flask_babel import gettext as _

from app.auth.access import belongs_to_a_contractor, gives_up_own_administration, keeps_the_system
from app.auth.models import User
from app.catalog.models import Contractor, StaffMember
from app.organisation.changes import (
    AccountWork,
    CertificateWork,
    ContractorWork,
    Difference,
    Outcome,
    StaffWork,
    Work,
    differences,
    shown,
)
from app.organisation.plan_places import duplicate
from app.organisation.rows import AccountRow, StaffRow
from app.organisation.sheets import ACCOUNTS, STAFF
from app.organisation.workbook import Problem


class ContractorIndex:
    """Finds a contractor as it will be by its unified social credit code or its name."""

    def __init__(self, everyone: list[ContractorWork], rejected: set[str]):
        self.by_licence: dict[str, list[ContractorWork]] = {}
        self.by_name: dict[str, ContractorWork] = {}
        for item in everyone:
            licence = item.row.licence if item.row else item.contractor.licence_no.upper()
            self.by_licence.setdefault(licence, []).append(item)
            self.by_name[item.row.name if item.row else item.contractor.name] = item
        self.rejected = rejected  # names and codes of contractor rows already refused

    def find(self, text: str) -> tuple[ContractorWork | None, str | None]:
        """The contractor, or None and why (no reason when its own row was refused)."""
        licence = "".join(text.split()).upper()
        same = self.by_licence.get(licence, [])
        if len(same) == 1:
            return same[0], None
        if len(same) > 1:
            return None, _("Several contractors have this code: name the contractor instead.")
        if text in self.by_name:
            return self.by_name[text], None
        if text in self.rejected or licence in self.rejected:
            return None, None
        return None, _("Unknown contractor: %(name)s.", name=text)


def plan_staff(
    rows: list[StaffRow],
    members: list[StaffMember],
    index: ContractorIndex,
    work: Work,
    outcomes: tuple[Outcome, Outcome],
    problems: list[Problem],
) -> None:
    """Group the rows by person, match people and their certificates, and check that the
    rows of one person agree."""
    staff_outcome, certificate_outcome = outcomes
    header = STAFF.header_of
    existing: dict[tuple, StaffMember] = {}
    for member in sorted(members, key=lambda m: m.id):
        existing.setdefault((member.contractor_id, member.name, member.phone), member)
    people: dict[tuple, StaffWork] = {}
    for row in rows:
        contractor, reason = index.find(row.contractor)
        if contractor is None:
            if reason:
                problems.append(Problem(STAFF.title, row.row, header("contractor"), reason))
            continue
        key = (id(contractor), row.name, row.phone)
        person = people.get(key)
        if person is None:
            member = None
            if contractor.contractor is not None:
                member = existing.get((contractor.contractor.id, row.name, row.phone))
            person = people[key] = StaffWork(row, contractor, member)
        else:
            _check_same_person(person.row, row, problems)
        if row.certificate is not None:
            _add_certificate(person, row, problems)

    matched = set()
    for person in people.values():
        row, member = person.row, person.member
        if member is not None:
            matched.add(member.id)
        changes = []
        if member is not None:
            changes = differences(
                [
                    (header("post"), member.post, row.post),
                    (header("active"), member.active, row.active),
                ]
            )
        person.todo = staff_outcome.record(
            f"{person.contractor.label} · {row.name} {row.phone}".strip(),
            row.row,
            member is not None,
            changes,
        )
        _record_certificates(person, certificate_outcome, problems)
    staff_outcome.missing = [
        f"{member.contractor.short_name} · {member.name} {member.phone}".strip()
        for member in members
        if member.id not in matched
    ]
    work.staff = list(people.values())


def _check_same_person(first: StaffRow, row: StaffRow, problems: list[Problem]) -> None:
    for name, old, new in (("post", first.post, row.post), ("active", first.active, row.active)):
        if old != new:
            problems.append(
                Problem(
                    STAFF.title,
                    row.row,
                    STAFF.header_of(name),
                    _("Row %(row)d says otherwise for the same person.", row=first.row),
                )
            )


def _add_certificate(person: StaffWork, row: StaffRow, problems: list[Problem]) -> None:
    certificate = row.certificate
    for other in person.certificates:
        if (other.row.kind, other.row.number) == (certificate.kind, certificate.number):
            problems.append(
                duplicate(
                    STAFF.title, row.row, STAFF.header_of("certificate_number"), other.row.row
                )
            )
            return
    found = None
    if person.member is not None:
        found = next(
            (
                held
                for held in sorted(person.member.certificates, key=lambda c: c.id)
                if (held.kind, held.number) == (certificate.kind, certificate.number)
            ),
            None,
        )
    if (
        found is not None
        and certificate.issued_on is None
        and certificate.expires_on < found.issued_on
    ):
        problems.append(
            Problem(
                STAFF.title,
                row.row,
                STAFF.header_of("expires_on"),
                _("A certificate cannot expire before it is issued."),
            )
        )
    person.certificates.append(CertificateWork(certificate, found))


def _record_certificates(person: StaffWork, outcome: Outcome, problems) -> None:
    header = STAFF.header_of
    kept = set()
    for item in person.certificates:
        row, held = item.row, item.certificate
        changes = []
        if held is not None:
            kept.add(held.id)
            changes = differences(
                [
                    (header("issued_on"), held.issued_on, row.issued_on),
                    (header("expires_on"), held.expires_on, row.expires_on),
                ]
            )
        item.todo = outcome.record(
            f"{person.row.name} · {row.kind} {row.number}".strip(),
            row.row,
            held is not None,
            changes,
        )
    if person.member is not None:
        outcome.missing.extend(
            f"{person.row.name} · {held.kind} {held.number}".strip()
            for held in person.member.certificates
            if held.id not in kept
        )


def plan_accounts(
    rows: list[AccountRow],
    users: list[User],
    contractors: dict[int, Contractor],
    index: ContractorIndex,
    actor: User | None,
    work: Work,
    outcome: Outcome,
    problems: list[Problem],
) -> None:
    """Match each row to an account by username; a contractor's account names its company,
    nobody else's does; the administrator importing keeps their own access."""
    header = ACCOUNTS.header_of
    by_username = {user.username.lower(): user for user in users}
    first_row: dict[str, int] = {}
    for row in rows:
        name = row.username.lower()
        if name in first_row:
            problems.append(duplicate(ACCOUNTS.title, row.row, header("username"), first_row[name]))
            continue
        first_row[name] = row.row
        user = by_username.get(name)
        contractor = _account_contractor(row, index, problems)
        if actor is not None and user is not None:
            if gives_up_own_administration(actor, user, row.role, row.active is not False):
                problems.append(
                    Problem(
                        ACCOUNTS.title,
                        row.row,
                        header("active" if keeps_the_system(row.role, True) else "role"),
                        _("You cannot remove your own administrator access."),
                    )
                )
        changes = _account_differences(user, row, contractor, contractors) if user else []
        todo = outcome.record(
            f"{row.username}（{row.display_name}）", row.row, user is not None, changes
        )
        work.accounts.append(AccountWork(row, user, contractor, todo))
    outcome.missing = [
        f"{user.username}（{user.display_name}）"
        for user in sorted(users, key=lambda u: u.username.lower())
        if user.username.lower() not in first_row
    ]
    had_one = any(keeps_the_system(user.role, user.active) for user in users)
    if had_one and not _an_administrator_remains(users, work.accounts, first_row):
        problems.append(
            Problem(
                ACCOUNTS.title,
                None,
                header("role"),
                _("At least one active administrator must remain."),
            )
        )


def _account_contractor(row: AccountRow, index: ContractorIndex, problems) -> ContractorWork | None:
    column = ACCOUNTS.header_of("contractor")
    if belongs_to_a_contractor(row.role) and not row.contractor:
        problems.append(
            Problem(
                ACCOUNTS.title, row.row, column, _("A contractor user must belong to a contractor.")
            )
        )
    elif not belongs_to_a_contractor(row.role) and row.contractor:
        problems.append(
            Problem(
                ACCOUNTS.title, row.row, column, _("Only contractor users belong to a contractor.")
            )
        )
    elif row.contractor:
        contractor, reason = index.find(row.contractor)
        if reason:
            problems.append(Problem(ACCOUNTS.title, row.row, column, reason))
        return contractor
    return None


def _account_differences(user: User, row: AccountRow, contractor, contractors) -> list[Difference]:
    header = ACCOUNTS.header_of
    changes = differences(
        [
            (header("display_name"), user.display_name, row.display_name),
            (header("role"), user.role, row.role),
            (header("email"), user.email, row.email),
            (header("phone"), user.phone, row.phone),
            (header("active"), user.active, row.active),
        ]
    )
    old = contractors.get(user.contractor_id)
    new = contractor.contractor if contractor is not None else None
    if old is not new or (contractor is not None and contractor.contractor is None):
        new_name = (contractor.row.name if contractor.row else new.name) if contractor else ""
        changes.append(Difference(header("contractor"), shown(old.name if old else ""), new_name))
    return changes


def _an_administrator_remains(users: list[User], accounts: list[AccountWork], listed) -> bool:
    for user in users:
        if user.username.lower() not in listed and keeps_the_system(user.role, user.active):
            return True
    for account in accounts:
        active = account.row.active
        if active is None:
            active = account.user.active if account.user else True
        if keeps_the_system(account.row.role, active):
            return True
    return False
