"""The month's assessment from the records: findings, overdue notices, warnings, bonuses and
satisfaction, fed to the pure functions in scoring.py."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.assessments.models import (
    BonusEntry,
    SatisfactionEntry,
)
from app.assessments.scoring import (
    ZERO,
    Band,
    Entry,
    LineScore,
    band_for,
    below_target_runs,
    money,
    overall,
    round_points,
    settle,
    weighted,
)
from app.catalog.contractors import active_contractors
from app.catalog.models import CheckCategory, CheckPoint, Contractor, Severity
from app.catalog.rules import AssessmentPolicy, assessment_policy
from app.core.extensions import db
from app.core.timeutil import month_bounds
from app.feedback.models import Complaint
from app.inspections.areas import submitted_findings
from app.inspections.models import Finding, Inspection, Tier
from app.inspections.repeats import repeats_of
from app.notices.models import ExitWarning, Notice, NoticeItem


def bands(raw: list[dict]) -> list[Band]:
    return [Band(Decimal(b["minimum"]), Decimal(b["percent"])) for b in raw]


@dataclass(frozen=True)
class FindingRow:
    """What the month's pages, workbook and bulletin show of one finding: plain values, not
    an ORM object, so a month of a large bureau costs tuples rather than object graphs."""

    id: int
    inspection_id: int
    found_at: datetime
    title: str
    note: str
    severity: Severity
    deduction: Decimal
    line_id: int | None  # the service line of its check point, if it has one
    check_point_id: int | None
    site_id: int | None
    contractor_id: int | None


@dataclass
class ContractorResult:
    contractor: Contractor
    lines: list[LineScore]
    overall: Decimal
    satisfaction: Decimal | None
    satisfaction_band: int | None
    money: Decimal
    below_three_quarters: bool
    below_two_years: bool
    retender: bool
    rank: int = 0
    findings: list[FindingRow] = field(default_factory=list)

    @property
    def flagged_for_termination(self) -> bool:
        return self.below_three_quarters or self.below_two_years


def _first_item_lines(notice_ids: list[int]) -> dict[int, int | None]:
    """The service line of each notice's first finding (its check point's), in one query."""
    first_items = (
        sa.select(sa.func.min(NoticeItem.id))
        .where(NoticeItem.notice_id.in_(notice_ids))
        .group_by(NoticeItem.notice_id)
    )
    rows = db.session.execute(
        sa.select(NoticeItem.notice_id, CheckCategory.service_line_id)
        .join(Finding, NoticeItem.finding_id == Finding.id)
        .join(CheckPoint, Finding.check_point_id == CheckPoint.id)
        .join(CheckCategory, CheckPoint.category_id == CheckCategory.id)
        .where(NoticeItem.id.in_(first_items))
    )
    return dict(rows.all())


def _complaint_inspections(inspection_ids: set[int]) -> set[int]:
    """Which of these inspections an upheld complaint made."""
    if not inspection_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Complaint.inspection_id).where(Complaint.inspection_id.in_(inspection_ids))
        )
    )


def _month_findings(start: datetime, end: datetime):
    """The month's findings of submitted inspections, with what scoring them needs."""
    return submitted_findings(
        start, end, Finding.contractor_id, Inspection.tier, Inspection.self_check
    )


def assess_month(month: str, itemised: bool = True) -> list[ContractorResult]:
    """Every active contractor's scores for the month, best first. Itemised, each finding is
    its own traceable entry; otherwise findings are summed in the database by contractor,
    line, tier and deduction, which gives the same scores (unless repeats are weighted: then
    each finding is looked at)."""
    current = assessment_policy()
    if itemised or Decimal(current.repeat_weight) != 1:
        return _assess(Months.of([month]), current, each_finding=True)[month]
    return assess_months([month])[month]


def assess_months(months: list[str]) -> dict[str, list[ContractorResult]]:
    """The scores of consecutive months (the bulletin's trend), unitemised, each read once
    for all of them: the findings summed by month in the database, the overdue notices,
    warnings, bonuses and satisfaction of the whole stretch. With repeats weighted each
    finding is looked at, month by month."""
    current = assessment_policy()
    if Decimal(current.repeat_weight) != 1:
        return {
            month: _assess(Months.of([month]), current, each_finding=True)[month]
            for month in months
        }
    return _assess(Months.of(months), current, each_finding=False)


def _assess(
    months: "Months", current: AssessmentPolicy, each_finding: bool
) -> dict[str, list[ContractorResult]]:
    contractors = active_contractors(with_lines=True)
    ledgers = [_Ledger.of(contractors) for _month in months.names]
    findings: dict[int, list[FindingRow]] = {}
    if each_finding:
        findings = _charge_each_finding(ledgers[0], current, months.start, months.end)
    else:
        _charge_findings_summed(months, ledgers, current)
    _charge_overdue_notices(months, ledgers, current)
    _charge_exit_warnings(months, ledgers, current)
    _credit_bonuses(months, ledgers)
    rates = _satisfaction_history(months.names[-1])
    assessed = {}
    for month, ledger in zip(months.names, ledgers, strict=True):
        results = _settle_contractors(contractors, ledger, current, month, findings, rates)
        results.sort(key=lambda r: (-r.overall, r.contractor.name))
        for rank, result in enumerate(results, start=1):
            result.rank = rank
        assessed[month] = results
    return assessed


@dataclass
class Months:
    """Consecutive months assessed together: their names, the instant the first starts and
    the one the last ends, and the months' ends to tell in SQL which month a moment is in."""

    names: list[str]
    start: datetime
    end: datetime
    ends: list[datetime]

    @classmethod
    def of(cls, names: list[str]) -> "Months":
        ends = [month_bounds(name)[1] for name in names]
        return cls(names, month_bounds(names[0])[0], ends[-1], ends)

    def index(self, moment):
        """SQL: the index of the month the moment (within the months) falls in."""
        return sa.case(*((moment < end, index) for index, end in enumerate(self.ends)))

    def within(self, moment):
        return sa.and_(moment >= self.start, moment < self.end)


@dataclass
class _Ledger:
    """The month's line scores of each contractor that serves a line; an entry is charged to
    its own service line when the contractor serves it, else to the contractor's first line."""

    lines: dict[int, dict[int, LineScore]]
    primary: dict[int, int]

    @classmethod
    def of(cls, contractors: list[Contractor]) -> "_Ledger":
        serving = [c for c in contractors if c.service_lines]
        return cls(
            lines={
                c.id: {line.id: LineScore(c.id, line.id) for line in c.service_lines}
                for c in serving
            },
            primary={c.id: c.service_lines[0].id for c in serving},
        )

    def charge(self, contractor_id, line_id, entry: Entry, bonus: bool = False) -> None:
        if contractor_id not in self.lines:
            return
        own = self.lines[contractor_id]
        target = own.get(line_id) or own[self.primary[contractor_id]]
        (target.bonuses if bonus else target.deductions).append(entry)


def _tier_weights(current: AssessmentPolicy) -> dict[str, Decimal]:
    return {tier: Decimal(w) for tier, w in current.tier_weights.items()}


def _finding_points(
    deduction: Decimal, tier, self_check: bool, weights: dict[str, Decimal]
) -> tuple[Decimal, Decimal]:
    """A finding's points as counted, and the weight they were multiplied by: its
    inspection's tier, and the share the policy gives a contractor's own reports."""
    counted = weighted(deduction, tier.value, weights)
    weight = weights.get(tier.value, Decimal(1))
    if self_check:
        own_report = weights.get("self_check", Decimal(0))
        counted, weight = round_points(counted * own_report), weight * own_report
    return counted, weight


def _charge_each_finding(
    ledger: _Ledger, current: AssessmentPolicy, start: datetime, end: datetime
) -> dict[int, list[FindingRow]]:
    """Charge each finding as its own entry (a repeat weighted as the policy says, one an
    upheld complaint made marked so); the findings by contractor."""
    rows = db.session.execute(
        _month_findings(start, end)
        .add_columns(
            Finding.id,
            Finding.inspection_id,
            Finding.found_at,
            Finding.title,
            Finding.note,
            Finding.severity,
            Finding.deduction,
            CheckCategory.service_line_id,
            Finding.check_point_id,
            Finding.site_id,
            Finding.contractor_id,
        )
        .order_by(Finding.found_at, Finding.id)
    ).all()
    findings = [(tier, self_check, FindingRow(*shown)) for _c, tier, self_check, *shown in rows]
    weights, repeat_weight = _tier_weights(current), Decimal(current.repeat_weight)
    repeats = repeats_of([f for *_, f in findings]) if repeat_weight != 1 else {}
    from_complaints = _complaint_inspections({f.inspection_id for *_, f in findings})
    by_contractor: dict[int, list[FindingRow]] = {}
    for tier, self_check, finding in findings:
        counted, weight = _finding_points(finding.deduction, tier, self_check, weights)
        repeat = repeats.get(finding.id)
        if repeat:
            counted = round_points(counted * repeat_weight)
            weight *= repeat_weight
        entry = Entry(
            "finding",
            finding.id,
            finding.title,
            counted,
            occurrence=repeat.occurrence if repeat else 0,
            raw=finding.deduction,
            weight=weight,
            source="complaint" if finding.inspection_id in from_complaints else "",
        )
        ledger.charge(finding.contractor_id, finding.line_id, entry)
        by_contractor.setdefault(finding.contractor_id, []).append(finding)
    return by_contractor


# Weights with more decimal places than this are multiplied out in Python: in SQL the
# scaled integers could outgrow 64 bits.
MOST_PLACES_IN_SQL = 12


def _tenths_counted(weights: dict[str, Decimal]):
    """SQL: a finding's points as counted (`_finding_points`), in tenths of a point, worked
    out in integers, so that SQLite (which keeps NUMERIC as floats) and PostgreSQL round
    alike and as Python does: half up after the tier's weight, then again after the share of
    a contractor's own reports. None if a weight has too many decimal places for that."""
    places = max([0, *(-weight.normalize().as_tuple().exponent for weight in weights.values())])
    if places > MOST_PLACES_IN_SQL:
        return None
    scale, half = 10**places, 10**places // 2

    def scaled(weight: Decimal) -> int:
        return int(weight * scale)

    tier_weight = sa.case(
        {tier: scaled(weights.get(tier.value, Decimal(1))) for tier in Tier},
        value=Inspection.tier,
    )
    tenths = sa.cast(sa.func.round(Finding.deduction * 10), sa.Integer)
    weighted_tenths = (tenths * tier_weight + half) // scale
    own_share = scaled(weights.get("self_check", Decimal(0)))
    return sa.case(
        (Inspection.self_check.is_(True), (weighted_tenths * own_share + half) // scale),
        else_=weighted_tenths,
    )


def _charge_findings_summed(
    months: Months, ledgers: list[_Ledger], current: AssessmentPolicy
) -> None:
    """Charge the findings' points, weighted and summed in the database by month,
    contractor and line: one entry each."""
    weights = _tier_weights(current)
    tenths = _tenths_counted(weights)
    if tenths is None:
        _charge_findings_grouped(months, ledgers, weights)
        return
    month = months.index(Finding.found_at)
    line = CheckCategory.service_line_id
    totals = db.session.execute(
        _month_findings(months.start, months.end)
        .with_only_columns(month, Finding.contractor_id, line, sa.func.sum(tenths))
        .group_by(month, Finding.contractor_id, line)
    )
    for index, contractor_id, line_id, total in totals:
        points = Decimal(int(total)) / 10
        ledgers[index].charge(contractor_id, line_id, Entry("findings", 0, "", points))


def _charge_findings_grouped(
    months: Months, ledgers: list[_Ledger], weights: dict[str, Decimal]
) -> None:
    """Charge the findings counted in the database by month, contractor, tier, deduction and
    line, their points worked out here, once per kind of finding."""
    month = months.index(Finding.found_at)
    groups = db.session.execute(
        _month_findings(months.start, months.end)
        .add_columns(month, Finding.deduction, CheckCategory.service_line_id, sa.func.count())
        .group_by(
            month,
            Finding.contractor_id,
            Inspection.tier,
            Inspection.self_check,
            Finding.deduction,
            CheckCategory.service_line_id,
        )
    )
    points: dict[tuple, Decimal] = {}
    totals: dict[tuple[int, int, int | None], Decimal] = {}
    for contractor_id, tier, self_check, index, deduction, line_id, count in groups:
        kind = (deduction, tier, self_check)
        if kind not in points:
            points[kind] = _finding_points(deduction, tier, self_check, weights)[0]
        key = (index, contractor_id, line_id)
        totals[key] = totals.get(key, ZERO) + points[kind] * count
    for (index, contractor_id, line_id), total in totals.items():
        ledgers[index].charge(contractor_id, line_id, Entry("findings", 0, "", total))


def _charge_overdue_notices(
    months: Months, ledgers: list[_Ledger], current: AssessmentPolicy
) -> None:
    """The policy's fixed points for each notice that fell overdue in the month, charged to
    the line of its first finding."""
    overdue = db.session.execute(
        sa.select(Notice, months.index(Notice.overdue_at)).where(months.within(Notice.overdue_at))
    ).all()
    first_lines = _first_item_lines([notice.id for notice, _index in overdue])
    for notice, index in overdue:
        ledgers[index].charge(
            notice.contractor_id,
            first_lines.get(notice.id),
            Entry("overdue", notice.id, notice.number, current.overdue_notice_points),
        )


def _charge_exit_warnings(
    months: Months, ledgers: list[_Ledger], current: AssessmentPolicy
) -> None:
    """The policy's fixed points for each exit warning issued in the month."""
    for warning, index in db.session.execute(
        sa.select(ExitWarning, months.index(ExitWarning.issued_at)).where(
            months.within(ExitWarning.issued_at)
        )
    ):
        ledgers[index].charge(
            warning.contractor_id,
            None,
            Entry("warning", warning.id, warning.number, current.exit_warning_points),
        )


def _credit_bonuses(months: Months, ledgers: list[_Ledger]) -> None:
    for bonus in db.session.scalars(
        sa.select(BonusEntry).where(BonusEntry.month.in_(months.names))
    ):
        ledgers[months.names.index(bonus.month)].charge(
            bonus.contractor_id,
            bonus.service_line_id,
            Entry("bonus", bonus.id, bonus.reason, bonus.points),
            bonus=True,
        )


def _settle_contractors(
    contractors: list[Contractor],
    ledger: _Ledger,
    current: AssessmentPolicy,
    month: str,
    findings: dict[int, list[FindingRow]],
    rates: dict[int, dict[str, Decimal]],
) -> list[ContractorResult]:
    """Each serving contractor's settled lines and overall score, its satisfaction and the
    bands both fall in, the money they come to, and the flags its history up to the month
    raises (`rates`: each contractor's satisfaction by month, later months too)."""
    month_end = (month_bounds(month)[1] - timedelta(days=1)).date()
    satisfaction_bands = bands(current.satisfaction_bands)
    results = []
    for contractor in contractors:
        if contractor.id not in ledger.lines:
            continue
        settled = [settle(line, current.bonus_cap) for line in ledger.lines[contractor.id].values()]
        total = overall(settled)
        history = {m: r for m, r in rates.get(contractor.id, {}).items() if m <= month}
        rate = history.get(month)
        three_quarters, two_years = below_target_runs(history, contractor.satisfaction_target)
        results.append(
            ContractorResult(
                contractor=contractor,
                lines=settled,
                overall=total,
                satisfaction=rate,
                satisfaction_band=(
                    band_for(rate, satisfaction_bands) if rate is not None else None
                ),
                money=money(
                    total,
                    rate,
                    contractor.deposit_amount / 12,
                    bands(current.score_bands),
                    satisfaction_bands,
                ),
                below_three_quarters=three_quarters,
                below_two_years=two_years,
                retender=contractor.due_for_retender(month_end),
                findings=findings.get(contractor.id, []),
            )
        )
    return results


def _satisfaction_history(up_to: str) -> dict[int, dict[str, Decimal]]:
    history: dict[int, dict[str, Decimal]] = {}
    for entry in db.session.scalars(
        sa.select(SatisfactionEntry).where(SatisfactionEntry.month <= up_to)
    ):
        history.setdefault(entry.contractor_id, {})[entry.month] = entry.rate
    return history
