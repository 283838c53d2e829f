"""The analysis's figures (寻找规律), each from aggregate queries over the selection's findings:
when they were found, on which service lines and how serious, the check points that fail
most, the places down the site tree, each contractor's fixing, and planned inspections done
and missed per inspector."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from statistics import median

import sqlalchemy as sa
from flask_babel import gettext as _

from app.analysis.selection import Selection, findings_in, photos_in, visits_in
from app.auth.models import User
from app.catalog.models import CheckCategory, Contractor, ServiceLine, Severity, Site
from app.core.evidence import MarkKind, mark_counts
from app.core.extensions import db
from app.core.timeutil import day_start, local_today, seconds_between
from app.inspections.areas import AreaFigure, findings_by_area
from app.inspections.models import Finding
from app.inspections.repeats import repeats_by_contractor
from app.notices.models import ItemStatus, Notice, NoticeItem, NoticeStatus
from app.plans.models import VisitState, plan_inspectors
from app.plans.tracking import visits_between

DAILY_UP_TO_DAYS = 62  # a longer period is counted by month
TOP_POINTS = 10
SEVERITIES = [s.value for s in (Severity.CRITICAL, Severity.MAJOR, Severity.GENERAL)]


@dataclass
class Bucket:
    label: str
    first: date
    last: date
    counts: Counter = field(default_factory=Counter)  # severity value -> findings

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ContractorFigures:
    contractor: Contractor
    findings: int = 0
    repeats: int = 0
    items: int = 0  # findings on issued notices
    fixed_on_time: int = 0  # fixes reported by the deadline issued and accepted
    overdue_notices: int = 0
    hours_to_fix: list[float] = field(default_factory=list)
    marks: dict[MarkKind, int] = field(default_factory=dict)  # its photos' evidence marks

    @property
    def marks_total(self) -> int:
        return sum(self.marks.values())

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.fixed_on_time / self.items, 1) if self.items else None

    @property
    def median_hours(self) -> float | None:
        return round(median(self.hours_to_fix), 1) if self.hours_to_fix else None


@dataclass
class InspectorFigures:
    inspector: User
    planned: int = 0
    done: int = 0
    missed: int = 0


@dataclass
class PlaceFigure:
    site: Site
    findings: int
    has_children: bool


@dataclass
class Figures:
    total: int
    buckets: list[Bucket]
    by_line: dict[str, Counter]  # line name -> severity value -> findings
    line_ids: dict[str, int]
    by_area: list[AreaFigure]  # in the national standard's order, areas without findings too
    top_points: list[tuple[int, str, int]]  # check point id, title, findings
    places: list[PlaceFigure]
    contractors: list[ContractorFigures]
    inspectors: list[InspectorFigures]


def buckets_of(selection: Selection) -> list[Bucket]:
    """The periods findings are counted in: days for up to two months, else months."""
    if (selection.last - selection.first).days < DAILY_UP_TO_DAYS:
        days = (selection.last - selection.first).days + 1
        return [
            Bucket(day.strftime("%m-%d"), day, day)
            for day in (selection.first + timedelta(days=n) for n in range(days))
        ]
    buckets, start = [], selection.first
    while start <= selection.last:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = min(next_month - timedelta(days=1), selection.last)
        buckets.append(Bucket(start.strftime("%Y-%m"), start, last))
        start = next_month
    return buckets


def over_time(selection: Selection) -> list[Bucket]:
    buckets = buckets_of(selection)
    ends = [
        (Finding.found_at < day_start(b.last + timedelta(days=1)), index)
        for index, b in enumerate(buckets)
    ]
    which = sa.case(*ends, else_=len(buckets) - 1)
    rows = db.session.execute(
        findings_in(selection, which, Finding.severity, sa.func.count()).group_by(
            which, Finding.severity
        )
    )
    for index, severity, count in rows:
        buckets[index].counts[severity.value] += count
    return buckets


def by_line(selection: Selection) -> tuple[dict[str, Counter], dict[str, int]]:
    rows = db.session.execute(
        findings_in(selection, ServiceLine.id, ServiceLine.name, Finding.severity, sa.func.count())
        .outerjoin(ServiceLine, CheckCategory.service_line_id == ServiceLine.id)
        .group_by(ServiceLine.id, ServiceLine.name, Finding.severity)
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    ids = {}
    for line_id, name, severity, count in rows:
        label = name or _("Without a service line (complaints)")
        counts[label][severity.value] += count
        if line_id:
            ids[label] = line_id
    return dict(counts), ids


def by_area(selection: Selection) -> list[AreaFigure]:
    """Findings and points deducted in each area of TC607, so results can be compared with
    the national standard's evaluation."""
    return findings_by_area(partial(findings_in, selection))


def top_points(selection: Selection) -> list[tuple[int, str, int]]:
    count = sa.func.count()
    return [
        tuple(row)
        for row in db.session.execute(
            findings_in(selection, Finding.check_point_id, sa.func.max(Finding.title), count)
            .where(Finding.check_point_id.is_not(None))
            .group_by(Finding.check_point_id)
            .order_by(count.desc(), Finding.check_point_id)
            .limit(TOP_POINTS)
        )
    ]


def places(selection: Selection, all_sites: list[Site] | None = None) -> list[PlaceFigure]:
    """Findings under each place one level below the chosen place (or under each top-level
    place), most first: a click goes one level further down (`all_sites`: every place, when
    the caller has read them already)."""
    counts = dict(
        db.session.execute(
            findings_in(selection, Finding.site_id, sa.func.count())
            .where(Finding.site_id.is_not(None))
            .group_by(Finding.site_id)
        ).all()
    )
    if all_sites is None:
        all_sites = list(db.session.scalars(sa.select(Site)))
    sites = {site.id: site for site in all_sites}
    shown = [s for s in sites.values() if s.parent_id == selection.site_id]
    parents = {s.id: s.parent_id for s in sites.values()}
    under: Counter = Counter()
    for site_id, count in counts.items():
        current = site_id
        while current is not None and parents.get(current) != selection.site_id:
            current = parents.get(current)
        if current is not None:  # else it was found at the chosen place itself
            under[current] += count
    with_children = set(parents.values())
    figures = [
        PlaceFigure(site, under[site.id], site.id in with_children)
        for site in shown
        if under[site.id]
    ]
    return sorted(figures, key=lambda f: (-f.findings, f.site.name))


def contractors(selection: Selection) -> list[ContractorFigures]:
    query = sa.select(Contractor).order_by(Contractor.name)
    if selection.contractor_id:
        query = query.where(Contractor.id == selection.contractor_id)
    figures = {c.id: ContractorFigures(c) for c in db.session.scalars(query)}
    counts = db.session.execute(
        findings_in(selection, Finding.contractor_id, sa.func.count()).group_by(
            Finding.contractor_id
        )
    )
    for contractor_id, count in counts:
        if contractor_id in figures:
            figures[contractor_id].findings = count
    ids = findings_in(selection, Finding.id)
    for contractor_id, count in repeats_by_contractor(ids, selection.start, selection.end).items():
        if contractor_id in figures:
            figures[contractor_id].repeats = count
    on_notices = (
        findings_in(selection)
        .join(NoticeItem, NoticeItem.finding_id == Finding.id)
        .join(Notice, NoticeItem.notice_id == Notice.id)
        .where(Notice.status != NoticeStatus.DRAFT)
    )
    accepted = NoticeItem.status == ItemStatus.ACCEPTED
    # The notice's deadline, as issued: an item's own is moved on when a fix is rejected.
    on_time = sa.and_(accepted, NoticeItem.fix_reported_at <= Notice.deadline)
    overdue = sa.case((Notice.overdue_at.is_not(None), Notice.id))
    totals = db.session.execute(
        on_notices.add_columns(
            Finding.contractor_id,
            sa.func.count(),
            sa.func.sum(sa.case((on_time, 1), else_=0)),
            sa.func.count(sa.distinct(overdue)),
        ).group_by(Finding.contractor_id)
    )
    for contractor_id, items, fixed_on_time, overdue_notices in totals:
        if contractor_id in figures:
            figure = figures[contractor_id]
            figure.items, figure.fixed_on_time = items, fixed_on_time or 0
            figure.overdue_notices = overdue_notices
    hours = seconds_between(NoticeItem.fix_reported_at, Notice.issued_at) / 3600
    for contractor_id, taken in db.session.execute(
        on_notices.add_columns(Finding.contractor_id, hours).where(
            accepted, NoticeItem.fix_reported_at.is_not(None), Notice.issued_at.is_not(None)
        )
    ):
        if contractor_id in figures:
            figures[contractor_id].hours_to_fix.append(float(taken))
    _count_marks(figures, selection)
    return [f for f in figures.values() if f.findings or f.items or f.marks]


def _count_marks(figures: dict[int, ContractorFigures], selection: Selection) -> None:
    """The evidence marks each contractor's photos got in the period, by kind, of the photos
    the selection's filters take in."""
    counts_by_contractor = mark_counts(
        selection.start, selection.end, list(figures), photos=photos_in(selection)
    )
    for contractor_id, counts in counts_by_contractor.items():
        figures[contractor_id].marks = {kind: counts[kind] for kind in MarkKind if kind in counts}


def planned_visits(selection: Selection) -> list:
    """The planned inspection visits falling due in the period, up to today, that the
    selection's filters take in."""
    today = local_today()
    if selection.first > today:
        return []
    visits = visits_between(selection.first, min(selection.last, today), today)
    return visits_in(selection, [visit for visit in visits if not visit.plan.is_survey])


def inspectors_by_plan(visits: list) -> dict[int, list[User]]:
    """The inspectors of each visit's plan, read in one statement for all the plans."""
    plan_ids = {visit.plan.id for visit in visits}
    by_plan: dict[int, list[User]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        rows = db.session.execute(
            sa.select(plan_inspectors.c.plan_id, User)
            .join(User, User.id == plan_inspectors.c.user_id)
            .where(plan_inspectors.c.plan_id.in_(plan_ids))
            .order_by(User.display_name)
        )
        for plan_id, user in rows:
            by_plan[plan_id].append(user)
    return by_plan


def inspectors(selection: Selection) -> list[InspectorFigures]:
    """Planned visits falling due in the period (up to today) per inspector on the plan."""
    figures: dict[int, InspectorFigures] = {}
    visits = planned_visits(selection)
    by_plan = inspectors_by_plan(visits)
    for visit in visits:
        for inspector in by_plan[visit.plan.id]:
            figure = figures.setdefault(inspector.id, InspectorFigures(inspector))
            figure.planned += 1
            figure.done += visit.state == VisitState.DONE
            figure.missed += visit.state == VisitState.MISSED
    return sorted(figures.values(), key=lambda f: (-f.missed, f.inspector.display_name))


def figures_for(
    selection: Selection, with_inspectors: bool, sites: list[Site] | None = None
) -> Figures:
    buckets = over_time(selection)
    lines, line_ids = by_line(selection)
    return Figures(
        total=sum(b.total for b in buckets),
        buckets=buckets,
        by_line=lines,
        line_ids=line_ids,
        by_area=by_area(selection),
        top_points=top_points(selection),
        places=places(selection, sites),
        contractors=contractors(selection),
        inspectors=inspectors(selection) if with_inspectors else [],
    )
