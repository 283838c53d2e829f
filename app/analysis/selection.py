"""What an analysis looks at: a period (a month, a quarter, a year or chosen dates, by the
bureau's calendar) and the filters, read from the page's query string, and the findings and
planned visits they take in. A contractor's user is always held to its own company."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.analysis.access import held_to_own_company
from app.auth.models import User
from app.catalog.models import CheckCategory, CheckPoint, Site
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import (
    FIRST_YEAR,
    LAST_YEAR,
    day_start,
    local_today,
    month_start,
    parse_day,
    parse_month,
    shift_month,
)
from app.feedback.evidence import KIND as COMPLAINT_PHOTO
from app.feedback.models import Complaint, ComplaintPhoto
from app.inspections.areas import submitted_findings
from app.inspections.checklist import plan_contractors
from app.inspections.evidence import KIND as CHECKLIST_PHOTO
from app.inspections.models import (
    Finding,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Party,
    Schedule,
    Scope,
    Status,
    Tier,
)
from app.notices.evidence import KIND as FIX_PHOTO
from app.notices.models import FixPhoto, NoticeItem
from app.plans.tracking import Visit, stop_coverage
from app.web.bounds import db_int

PERIODS = ("month", "quarter", "year", "custom")
INSPECTION_FILTERS = {"scope": Scope, "schedule": Schedule, "party": Party, "tier": Tier}
MAX_DAYS = 3 * 366  # a custom period longer than three years is refused


@dataclass
class Selection:
    period: str
    first: date  # local dates, both included
    last: date
    line_id: int | None = None
    contractor_id: int | None = None
    site_id: int | None = None
    chosen: dict = field(default_factory=dict)  # the inspection filters: name -> enum member
    contractor_locked: bool = False  # a contractor's user: its own company, whatever was asked

    @property
    def start(self) -> datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1))

    def args(self, **changes) -> dict:
        """The query string that shows this selection (with changes), for links."""
        values = {
            "period": self.period,
            "at": self.first.strftime("%Y-%m"),
            "line": self.line_id,
            "contractor": None if self.contractor_locked else self.contractor_id,
            "site": self.site_id,
            **{name: member.value for name, member in self.chosen.items()},
        }
        if self.period == "custom":
            values |= {"from": self.first.isoformat(), "to": self.last.isoformat()}
            values.pop("at")
        values |= changes
        return {key: value for key, value in values.items() if value not in (None, "")}


def _month(value: str) -> str:
    try:
        return parse_month(value)
    except ValueError:
        first, last = f"{FIRST_YEAR}-01", f"{LAST_YEAR}-12"
        message = _("Choose a month from %(first)s to %(last)s.", first=first, last=last)
        raise Refused(message, status=400) from None


def _date(value: str) -> date:
    try:
        return parse_day(value)
    except ValueError:
        first, last = f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31"
        message = _("Choose dates from %(first)s to %(last)s.", first=first, last=last)
        raise Refused(message, status=400) from None


def selection_from(args: MultiDict, user: User) -> Selection:
    """The selection a query string asks for; Refused (400) with the reason if it is none."""
    period = args.get("period") or "month"
    if period not in PERIODS:
        raise Refused(_("Choose a month, a quarter, a year or chosen dates."), status=400)
    at = _month(args.get("at") or local_today().strftime("%Y-%m"))
    if period == "month":
        first_month, months = at, 1
    elif period == "quarter":
        first_month, months = f"{at[:4]}-{(int(at[5:]) - 1) // 3 * 3 + 1:02d}", 3
    elif period == "year":
        first_month, months = f"{at[:4]}-01", 12
    if period == "custom":
        first = _date(args.get("from", ""))
        last = _date(args.get("to", ""))
        if last < first or (last - first).days > MAX_DAYS:
            raise Refused(
                _("Chosen dates must run forwards and span at most three years."), status=400
            )
    else:
        first = month_start(first_month)
        last = month_start(shift_month(first_month, months)) - timedelta(days=1)
    selection = Selection(period, first, last)
    for name, enum_cls in INSPECTION_FILTERS.items():
        if args.get(name):
            try:
                selection.chosen[name] = enum_cls(args[name])
            except ValueError:
                raise Refused(_("Choose the filters from their lists."), status=400) from None
    selection.line_id = args.get("line", type=db_int)
    selection.site_id = args.get("site", type=db_int)
    selection.contractor_id = args.get("contractor", type=db_int)
    if held_to_own_company(user):
        selection.contractor_id, selection.contractor_locked = user.contractor_id, True
    return selection


def subtree(site_id: int) -> list[int]:
    """A place and every place under it."""
    children: dict[int | None, list[int]] = {}
    for child, parent in db.session.execute(sa.select(Site.id, Site.parent_id)):
        children.setdefault(parent, []).append(child)
    found, waiting = [], [site_id]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return found


def _narrowed(query, selection: Selection, places: list[int] | None, *, line, site):
    """`query` held to the selection's inspection kind (on Inspection), service line and
    place (`line` and `site` are the columns that say them; `places`, the chosen subtree)."""
    for name, member in selection.chosen.items():
        query = query.where(getattr(Inspection, name) == member)
    if selection.line_id:
        query = query.where(line == selection.line_id)
    if places is not None:
        query = query.where(site.in_(places))
    return query


def _places(selection: Selection) -> list[int] | None:
    return subtree(selection.site_id) if selection.site_id else None


def _with_line(query, check_point_id):
    return query.outerjoin(CheckPoint, check_point_id == CheckPoint.id).outerjoin(
        CheckCategory, CheckPoint.category_id == CheckCategory.id
    )


def findings_in(selection: Selection, *columns):
    """SELECT `columns` FROM the selection's findings (of submitted inspections), ready for
    more conditions, grouping and ordering."""
    query = submitted_findings(selection.start, selection.end, *columns)
    if selection.contractor_id:
        query = query.where(Finding.contractor_id == selection.contractor_id)
    line = CheckCategory.service_line_id
    return _narrowed(query, selection, _places(selection), line=line, site=Finding.site_id)


def photos_in(selection: Selection) -> dict[str, sa.Select]:
    """The evidence photos the selection's filters take in, as findings_in takes in findings,
    by kind: {photo kind: SELECT of photo ids}. A checklist photo goes by its item's place and
    check point and its submitted inspection; a fix photo by its finding; a complaint's photo
    by the place and line responsibility was assigned to. (The period and the contractor are
    the marks' own: when the photo was sent, and whose it was.)"""
    places = _places(selection)
    checklist = _with_line(
        sa.select(InspectionPhoto.id)
        .join(InspectionItem, InspectionPhoto.item_id == InspectionItem.id)
        .join(Inspection, InspectionItem.inspection_id == Inspection.id),
        InspectionItem.check_point_id,
    ).where(Inspection.status == Status.SUBMITTED)
    fix = _with_line(
        sa.select(FixPhoto.id)
        .join(NoticeItem, FixPhoto.item_id == NoticeItem.id)
        .join(Finding, NoticeItem.finding_id == Finding.id)
        .join(Inspection, Finding.inspection_id == Inspection.id),
        Finding.check_point_id,
    )
    # A complaint is of no inspection kind until it is upheld and becomes an (external, ad
    # hoc) inspection: with an inspection filter chosen, its photos count only once it has
    # one of that kind, as its finding does in the figures.
    complaint = (
        sa.select(ComplaintPhoto.id)
        .join(Complaint, ComplaintPhoto.complaint_id == Complaint.id)
        .outerjoin(Inspection, Complaint.inspection_id == Inspection.id)
    )
    line = CheckCategory.service_line_id
    return {
        CHECKLIST_PHOTO: _narrowed(
            checklist, selection, places, line=line, site=InspectionItem.site_id
        ),
        FIX_PHOTO: _narrowed(fix, selection, places, line=line, site=Finding.site_id),
        COMPLAINT_PHOTO: _narrowed(
            complaint, selection, places, line=Complaint.service_line_id, site=Complaint.site_id
        ),
    }


def visits_in(selection: Selection, visits: list[Visit]) -> list[Visit]:
    """The planned inspection visits the selection's filters take in, as `findings_in` takes
    in findings: by the inspection the plan makes of a visit (its schedule, scope, party and
    tier), by the place visited, and by the lines and contractors a visit there checks."""
    places = set(subtree(selection.site_id)) if selection.site_id else None
    checked: dict[tuple[int, int], tuple[set[int], set[int]]] = {}

    def lines_and_contractors(visit: Visit) -> tuple[set[int], set[int]]:
        key = (visit.plan.id, visit.site.id)
        if key not in checked:
            stop = next(stop for stop in visit.plan.stops if stop.site_id == visit.site.id)
            coverage = stop_coverage(stop)
            contractors = plan_contractors(coverage)
            lines = (
                {coverage.service_line.id}
                if coverage.service_line
                else {line.id for contractor in contractors for line in contractor.service_lines}
            )
            checked[key] = lines, {contractor.id for contractor in contractors}
        return checked[key]

    def taken_in(visit: Visit) -> bool:
        plan = visit.plan
        kind = {
            "schedule": Schedule.SCHEDULED,
            "scope": plan.scope,
            "party": plan.party,
            "tier": plan.tier,
        }
        if any(kind[name] != member for name, member in selection.chosen.items()):
            return False
        if places is not None and visit.site.id not in places:
            return False
        if selection.line_id or selection.contractor_id:
            lines, contractors = lines_and_contractors(visit)
            if selection.line_id and selection.line_id not in lines:
                return False
            if selection.contractor_id and selection.contractor_id not in contractors:
                return False
        return True

    return [visit for visit in visits if taken_in(visit)]
