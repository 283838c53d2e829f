"""The plan for places (a tree, matched by code) and contractors (matched by their unified
social credit code), checked against the workbook itself and against the system."""

from flask_babel import gettext as _

from app.catalog.models import SITE_CHILD_KINDS, Contractor
from app.organisation.changes import ContractorWork, Outcome, PlaceWork, Work, differences
from app.organisation.rows import ContractorRow, PlaceRow
from app.organisation.sheets import CONTRACTORS, PLACES
from app.organisation.workbook import Problem


def plan_places(
    rows: list[PlaceRow], rejected: set[str], work: Work, outcome: Outcome, problems: list[Problem]
):
    """Match each row to a place by code; check parents, cycles and what may sit in what.
    A parent whose own row was refused is not reported again."""
    header = PLACES.header_of
    first_row: dict[str, int] = {}
    for row in rows:
        if row.code in first_row:
            problems.append(duplicate(PLACES.title, row.row, header("code"), first_row[row.code]))
        else:
            first_row[row.code] = row.row
    by_code = {row.code: row for row in rows}
    code_of = {site.id: code for code, site in work.sites.items()}
    kind_of = {code: site.kind for code, site in work.sites.items()}
    parent_of = {code: code_of.get(site.parent_id, "") for code, site in work.sites.items()}
    kind_of.update({code: row.kind for code, row in by_code.items()})
    parent_of.update({code: row.parent for code, row in by_code.items()})

    broken = _unknown_parents(by_code, kind_of, rejected, problems)
    for code in sorted(_in_cycles(parent_of, by_code), key=lambda c: by_code[c].row):
        problems.append(
            Problem(
                PLACES.title,
                by_code[code].row,
                header("parent"),
                _(
                    "The parents of %(code)s lead back to it: a place cannot be inside itself.",
                    code=code,
                ),
            )
        )
        broken.add(code)
    for row in by_code.values():
        if row.code not in broken:
            _check_placement(row, kind_of, problems)
    _check_contents_of_changed_kinds(by_code, work, parent_of, problems)
    _record_places(by_code, code_of, work, outcome)


def _unknown_parents(by_code, kind_of, rejected: set[str], problems) -> set[str]:
    """The codes whose parent is no place, reported unless that parent's own row was refused."""
    broken = set()
    for row in by_code.values():
        if row.parent and row.parent not in kind_of:
            broken.add(row.code)
            if row.parent in rejected:
                continue
            problems.append(
                Problem(
                    PLACES.title,
                    row.row,
                    PLACES.header_of("parent"),
                    _(
                        "No place has the code %(code)s, in this sheet or in the system.",
                        code=row.parent,
                    ),
                )
            )
    return broken


def _record_places(by_code, code_of, work: Work, outcome: Outcome) -> None:
    """What becomes of each place: new, changed (and how) or the same; and those left out."""
    header = PLACES.header_of
    for row in by_code.values():
        site = work.sites.get(row.code)
        changes = []
        if site is not None:
            changes = differences(
                [
                    (header("name"), site.name, row.name),
                    (header("kind"), site.kind, row.kind),
                    (header("parent"), code_of.get(site.parent_id, ""), row.parent),
                ]
            )
        todo = outcome.record(f"{row.code} {row.name}", row.row, site is not None, changes)
        work.places.append(PlaceWork(row, site, todo))
    outcome.missing = [
        f"{code} {site.name}" for code, site in sorted(work.sites.items()) if code not in by_code
    ]


def duplicate(sheet: str, row: int, column: str, first: int) -> Problem:
    return Problem(
        sheet, row, column, _("The same as row %(row)d: each may appear once.", row=first)
    )


def _in_cycles(parent_of: dict[str, str], starts) -> set[str]:
    """The codes whose chain of parents comes back round, walking once from each start."""
    done, cycling = set(), set()
    for start in starts:
        path, seen_at, code = [], {}, start
        while code and code not in done and code not in seen_at:
            seen_at[code] = len(path)
            path.append(code)
            code = parent_of.get(code, "")
        if code in seen_at:
            cycling.update(path[seen_at[code] :])
        done.update(path)
    return cycling


def _check_placement(row: PlaceRow, kind_of, problems) -> None:
    parent_kind = kind_of.get(row.parent) if row.parent else None
    if row.kind in SITE_CHILD_KINDS[parent_kind]:
        return
    if parent_kind is None:
        message = _("Only a compound can be at the top of the tree.")
    else:
        message = _(
            "A %(child)s cannot be inside a %(parent)s.",
            child=row.kind.label,
            parent=parent_kind.label,
        )
    problems.append(Problem(PLACES.title, row.row, PLACES.header_of("kind"), message))


def _check_contents_of_changed_kinds(by_code, work: Work, parent_of, problems) -> None:
    """A place left out of the workbook stays where it is: its parent's new kind must still
    hold it."""
    for code, site in work.sites.items():
        parent = by_code.get(parent_of.get(code, "")) if code not in by_code else None
        if parent is not None and site.kind not in SITE_CHILD_KINDS[parent.kind]:
            problems.append(
                Problem(
                    PLACES.title,
                    parent.row,
                    PLACES.header_of("kind"),
                    _(
                        "Its contents (%(child)s) cannot be inside a %(kind)s.",
                        child=f"{code} {site.kind.label}",
                        kind=parent.kind.label,
                    ),
                )
            )


def plan_contractors(
    rows: list[ContractorRow] | None,
    contractors: list[Contractor],
    place_codes: set[str],
    work: Work,
    outcome: Outcome,
    problems: list[Problem],
) -> list[ContractorWork]:
    """Match each row to a contractor by its code; every contractor as it will be."""
    sheet_present = rows is not None
    planned, matched = _match_contractors(rows or [], contractors, place_codes, work, problems)
    kept = [ContractorWork(None, c) for c in contractors if c.id not in matched]
    _check_names_free(planned, kept, problems)
    for item in planned:
        item.todo = outcome.record(
            f"{item.row.short_name}（{item.row.licence}）",
            item.row.row,
            item.contractor is not None,
            _contractor_differences(item.contractor, item.row) if item.contractor else [],
        )
    if sheet_present:
        outcome.missing = [f"{c.contractor.name}（{c.contractor.licence_no}）" for c in kept]
    work.contractors = planned
    return planned + kept


def _match_contractors(
    rows: list[ContractorRow],
    contractors: list[Contractor],
    place_codes: set[str],
    work: Work,
    problems: list[Problem],
) -> tuple[list[ContractorWork], set[int]]:
    """Each row that is not a repeat, with the one contractor of its code (or None: new); and
    the ids of the contractors matched."""
    header = CONTRACTORS.header_of
    by_licence: dict[str, list[Contractor]] = {}
    for contractor in contractors:
        by_licence.setdefault(contractor.licence_no.upper(), []).append(contractor)
    first_licence: dict[str, int] = {}
    first_name: dict[str, int] = {}
    matched: set[int] = set()
    planned = []
    for row in rows:
        if row.licence in first_licence:
            problems.append(
                duplicate(CONTRACTORS.title, row.row, header("licence"), first_licence[row.licence])
            )
            continue
        first_licence[row.licence] = row.row
        if row.name in first_name:
            problems.append(
                duplicate(CONTRACTORS.title, row.row, header("name"), first_name[row.name])
            )
        first_name.setdefault(row.name, row.row)
        same = by_licence.get(row.licence, [])
        if len(same) > 1:
            problems.append(
                Problem(
                    CONTRACTORS.title,
                    row.row,
                    header("licence"),
                    _(
                        "%(n)d contractors in the system have this code (%(names)s): correct "
                        "them on their pages first.",
                        n=len(same),
                        names="、".join(c.name for c in same),
                    ),
                )
            )
            continue
        contractor = same[0] if same else None
        if contractor is not None:
            matched.add(contractor.id)
        _check_references(row, work, place_codes, problems)
        planned.append(ContractorWork(row, contractor))
    return planned, matched


def _check_references(row: ContractorRow, work: Work, place_codes, problems) -> None:
    """Service lines (by code or name, kept as codes) and places must exist."""
    unknown_lines = [word for word in row.lines if word not in work.lines]
    row.lines = [work.lines[word].code for word in row.lines if word in work.lines]
    if unknown_lines:
        problems.append(
            Problem(
                CONTRACTORS.title,
                row.row,
                CONTRACTORS.header_of("lines"),
                _("Unknown service line: %(codes)s.", codes="、".join(unknown_lines)),
            )
        )
    unknown_places = [code for code in row.sites if code not in place_codes]
    if unknown_places:
        problems.append(
            Problem(
                CONTRACTORS.title,
                row.row,
                CONTRACTORS.header_of("sites"),
                _("Unknown place: %(codes)s.", codes="、".join(unknown_places)),
            )
        )


def _check_names_free(planned: list[ContractorWork], kept: list[ContractorWork], problems) -> None:
    """Names are unique: a row may not take the name of a contractor left out of the workbook."""
    kept_names = {item.contractor.name: item.contractor for item in kept}
    for item in planned:
        other = kept_names.get(item.row.name)
        if other is not None:
            problems.append(
                Problem(
                    CONTRACTORS.title,
                    item.row.row,
                    CONTRACTORS.header_of("name"),
                    _(
                        "Another contractor has this name (%(licence)s).",
                        licence=other.licence_no,
                    ),
                )
            )


def _contractor_differences(contractor: Contractor, row: ContractorRow):
    header = CONTRACTORS.header_of
    lines = sorted(line.code for line in contractor.service_lines)
    sites = sorted(site.code for site in contractor.sites)
    return differences(
        [
            (header("name"), contractor.name, row.name),
            (header("short_name"), contractor.short_name, row.short_name),
            (header("contact_person"), contractor.contact_person, row.contact_person),
            (header("contact_phone"), contractor.contact_phone, row.contact_phone),
            (header("contract_start"), contractor.contract_start, row.contract_start),
            (header("contract_end"), contractor.contract_end, row.contract_end),
            (header("contract_value"), contractor.contract_value, row.contract_value),
            (header("deposit_share"), contractor.deposit_share, row.deposit_share),
            (
                header("satisfaction_target"),
                contractor.satisfaction_target,
                row.satisfaction_target,
            ),
            (header("lines"), lines, sorted(set(row.lines))),
            (header("sites"), sites, sorted(set(row.sites))),
            (header("active"), contractor.active, row.active),
        ]
    )
