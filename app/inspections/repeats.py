"""Repeat findings (重复出现): the same check point failing again at the same place within the
managers' window (default 30 days, counted back from the later finding, that day included);
for a finding without a place, the same check point failing again for the same contractor.

A repeat is worked out from the findings as they stand, not stored: a reopened inspection's
findings are withdrawn until it is submitted again, so they never count twice, and a
complaint that was dismissed never made a finding. A complaint's finding has no check point,
so it is never a repeat."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.catalog.rules import assessment_policy
from app.core.extensions import db
from app.core.timeutil import as_utc, seconds_between
from app.inspections.models import Finding


@dataclass(frozen=True)
class Earlier:
    id: int
    inspection_id: int
    found_at: datetime


@dataclass(frozen=True)
class Repeat:
    occurrence: int  # this finding is the n-th within the window, itself included
    window_days: int
    earlier: tuple[Earlier, ...]  # oldest first


def repeats_of(findings: Sequence) -> dict[int, Repeat]:
    """Each of `findings` (rows or objects with a finding's id, check point, place,
    contractor and time) that repeats earlier ones, by its id, found in one query."""
    checked = [f for f in findings if f.check_point_id is not None]
    if not checked:
        return {}
    days = assessment_policy().repeat_window_days
    window = timedelta(days=days)
    times = [as_utc(f.found_at) for f in checked]
    candidates = db.session.execute(
        sa.select(
            Finding.id,
            Finding.inspection_id,
            Finding.found_at,
            Finding.check_point_id,
            Finding.site_id,
            Finding.contractor_id,
        ).where(
            Finding.check_point_id.in_({f.check_point_id for f in checked}),
            Finding.found_at >= min(times) - window,
            Finding.found_at <= max(times),
        )
    ).all()
    by_failure: dict[tuple, list[Earlier]] = defaultdict(list)
    for row in candidates:
        by_failure[_failure(row)].append(Earlier(row.id, row.inspection_id, as_utc(row.found_at)))
    found = {}
    for finding, at in zip(checked, times, strict=True):
        earlier = sorted(
            (
                candidate
                for candidate in by_failure[_failure(finding)]
                if at - window <= candidate.found_at
                and (candidate.found_at, candidate.id) < (at, finding.id)
            ),
            key=lambda e: (e.found_at, e.id),
        )
        if earlier:
            found[finding.id] = Repeat(len(earlier) + 1, days, tuple(earlier))
    return found


def _failure(finding) -> tuple:
    """What makes two findings the same failure: the check point and the place, or the check
    point and the contractor for a finding without a place."""
    if finding.site_id is not None:
        return (finding.check_point_id, "site", finding.site_id)
    return (finding.check_point_id, "contractor", finding.contractor_id)


def repeating(finding_ids, start: datetime, end: datetime):
    """SELECT (id, contractor_id) of those of the findings `finding_ids` (found between
    `start` and `end`) that repeat an earlier one: a finding repeats when the one before it
    of the same failure, by time, lies within the window. The same answer as repeats_of, in
    SQL, for a year of a large bureau without loading its findings."""
    window = timedelta(days=assessment_policy().repeat_window_days)
    earlier_failure = sa.func.lag(Finding.found_at).over(
        partition_by=(
            Finding.check_point_id,
            Finding.site_id,
            sa.case((Finding.site_id.is_(None), Finding.contractor_id)),
        ),
        order_by=(Finding.found_at, Finding.id),
    )
    timeline = (
        sa.select(
            Finding.id,
            Finding.contractor_id,
            Finding.found_at,
            earlier_failure.label("previous"),
        )
        .where(
            Finding.check_point_id.is_not(None),
            Finding.found_at >= as_utc(start) - window,
            Finding.found_at < as_utc(end),
        )
        .subquery()
    )
    # SQLite reads times to the millisecond, in floating point: half of one is the slack
    within = window.total_seconds() + 0.0005
    return sa.select(timeline.c.id, timeline.c.contractor_id).where(
        timeline.c.id.in_(finding_ids),
        timeline.c.previous.is_not(None),
        seconds_between(timeline.c.found_at, timeline.c.previous) <= within,
    )


def repeats_by_contractor(finding_ids, start: datetime, end: datetime) -> dict[int, int]:
    """How many of the findings `finding_ids` repeat an earlier one, per contractor."""
    repeats = repeating(finding_ids, start, end).subquery()
    rows = db.session.execute(
        sa.select(repeats.c.contractor_id, sa.func.count()).group_by(repeats.c.contractor_id)
    )
    return dict(rows.all())
