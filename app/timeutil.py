"""UTC storage, Asia/Shanghai display."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


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
