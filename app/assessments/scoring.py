"""The 100-point monthly assessment as pure functions: no database, no request.

Every contractor starts each month at 100 for each service line it serves. Each deduction
and bonus is a line item that names its source, so every point can be traced on screen.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

FULL_MARKS = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Entry:
    """One deduction or bonus: where it comes from (kind, id), what it says, its points."""

    kind: str  # finding, overdue, warning, complaint, bonus
    ref_id: int
    label: str
    points: Decimal  # as the score counts them
    occurrence: int = 0  # a finding weighted as a repeat: its number within the window
    raw: Decimal | None = None  # a finding's deduction before the weights
    weight: Decimal = Decimal(1)  # tier × self-check × repeat weights, as applied
    source: str = ""  # a finding's: "complaint" when an upheld complaint made it


@dataclass
class LineScore:
    contractor_id: int
    service_line_id: int
    deductions: list[Entry] = field(default_factory=list)
    bonuses: list[Entry] = field(default_factory=list)
    score: Decimal = FULL_MARKS

    @property
    def deducted(self) -> Decimal:
        return sum((e.points for e in self.deductions), ZERO)

    @property
    def bonus(self) -> Decimal:
        return sum((e.points for e in self.bonuses), ZERO)


def round_points(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def weighted(points: Decimal, tier: str, weights: dict[str, Decimal]) -> Decimal:
    """A finding's deduction scaled by the weight of the tier that found it."""
    return round_points(points * weights.get(tier, Decimal(1)))


def score(deductions: Iterable[Entry], bonuses: Iterable[Entry], bonus_cap: Decimal) -> Decimal:
    """100 less deductions (never below 0), plus bonus points up to the cap."""
    base = max(ZERO, FULL_MARKS - sum((e.points for e in deductions), ZERO))
    bonus = min(max(ZERO, sum((e.points for e in bonuses), ZERO)), bonus_cap)
    return round_points(base + bonus)


def settle(line: LineScore, bonus_cap: Decimal) -> LineScore:
    line.score = score(line.deductions, line.bonuses, bonus_cap)
    return line


def overall(lines: Sequence[LineScore]) -> Decimal:
    """A contractor's overall score: the mean of its line scores."""
    if not lines:
        return FULL_MARKS
    return round_points(sum((line.score for line in lines), ZERO) / len(lines))


@dataclass(frozen=True)
class Band:
    minimum: Decimal
    percent: Decimal  # of the month's deposit: positive rewards, negative deducts


def band_for(value: Decimal, bands: Sequence[Band]) -> int:
    """Index of the first band (highest first) whose minimum the value reaches."""
    for index, band in enumerate(bands):
        if value >= band.minimum:
            return index
    return len(bands) - 1


def money(
    contractor_score: Decimal,
    satisfaction: Decimal | None,
    monthly_deposit: Decimal,
    score_bands: Sequence[Band],
    satisfaction_bands: Sequence[Band],
) -> Decimal:
    """Reward (+) or deduction (−) against the month's share of the service deposit."""
    percent = score_bands[band_for(contractor_score, score_bands)].percent
    if satisfaction is not None:
        percent += satisfaction_bands[band_for(satisfaction, satisfaction_bands)].percent
    return (monthly_deposit * percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def quarter_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 4 + (int(number) - 1) // 3


def _below_in_a_row(periods: dict[int, list[Decimal]], target: Decimal, run: int) -> bool:
    """The latest `run` periods with data are consecutive and each averages below target."""
    latest = sorted(periods)[-run:]
    if len(latest) < run or latest[-1] - latest[0] != run - 1:
        return False
    return all(sum(periods[p]) / len(periods[p]) < target for p in latest)


def below_target_runs(monthly_rates: dict[str, Decimal], target: Decimal) -> tuple[bool, bool]:
    """(three quarters running, two years running) with satisfaction below the target."""
    quarters: dict[int, list[Decimal]] = {}
    years: dict[int, list[Decimal]] = {}
    for month, rate in monthly_rates.items():
        quarters.setdefault(quarter_index(month), []).append(rate)
        years.setdefault(int(month[:4]), []).append(rate)
    return _below_in_a_row(quarters, target, 3), _below_in_a_row(years, target, 2)
