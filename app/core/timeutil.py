"""UTC storage, Asia/Shanghai display."""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.core.extensions import db

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# The years a month or a day named in a request may fall in: the bureau's records with room
# on both sides. Past them the calendar arithmetic breaks: midnight on 1 January of year 1 in
# Shanghai is in year 0 in UTC, and the month after December 9999 has no date.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime):
    """Stamp what happens inside with `moment`: how the demo's history is dated, since
    the audit log cannot be changed afterwards."""
    token = _frozen_now.set(moment)
    try:
        yield
    finally:
        _frozen_now.reset(token)


def as_utc(value: datetime) -> datetime:
    """Treat a naive timestamp (SQLite drops the zone) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def local_today() -> date:
    """Today in the bureau's time zone: certificates expire by the local calendar."""
    return datetime.now(LOCAL_TZ).date()


def month_start(month: str) -> date:
    return datetime.strptime(month, "%Y-%m").date()


def parse_month(text: str) -> str:
    """A month ("YYYY-MM") named in a request, within the years kept; else ValueError."""
    if not MONTH_PATTERN.fullmatch(text) or not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        raise ValueError(f"not a month from {FIRST_YEAR} to {LAST_YEAR}: {text!r}")
    return text


def parse_day(text: str) -> date:
    """A day ("YYYY-MM-DD") named in a request, within the years kept; else ValueError."""
    day = date.fromisoformat(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"not a day from {FIRST_YEAR} to {LAST_YEAR}: {text!r}")
    return day


def shift_month(month: str, delta: int) -> str:
    start = month_start(month)
    index = start.year * 12 + start.month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_days(month: str) -> tuple[date, date]:
    """The month's first and last calendar days."""
    return month_start(month), month_start(shift_month(month, 1)) - timedelta(days=1)


def day_start(day: date) -> datetime:
    """The instant a day begins by the bureau's calendar, in UTC: SQLite compares stored times
    as text, which are UTC, so a bound in another zone would shift the day."""
    return datetime.combine(day, datetime.min.time(), LOCAL_TZ).astimezone(UTC)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's start and end instants by the bureau's calendar, in UTC."""
    return day_start(month_start(month)), day_start(month_start(shift_month(month, 1)))


def month_of(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m")


def seconds_between(later, earlier):
    """`later - earlier` in seconds, in SQL: PostgreSQL subtracts timestamps, SQLite keeps
    them as text that julianday() reads (with the +00:00 they are stored with)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400
