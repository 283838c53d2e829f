"""UTC storage, Asia/Shanghai display."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive timestamp (SQLite drops the zone) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def local_today() -> date:
    """Today in the bureau's time zone: certificates expire by the local calendar."""
    return datetime.now(LOCAL_TZ).date()
