"""When a plan falls due: pure date arithmetic, tested without a database.

An occurrence is due on a date and stays open until the day before the next one: a daily
patrol for its day, a weekly joint check for its week, a monthly assessment until the next
month's date. A day of month past the month's end falls on its last day (31 → 28 February).
Twice a month falls on a day from 1 to 15 and fifteen days later, kept in the month (the 1st
and the 16th; the 15th and the 30th, the 28th in February).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from app.core.extensions import LabelledEnum


class Recurrence(LabelledEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    HALF_MONTHLY = "half_monthly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"


Recurrence.LABELS = {
    Recurrence.DAILY: _l("Every day"),
    Recurrence.WEEKLY: _l("Every week"),
    Recurrence.HALF_MONTHLY: _l("Twice a month"),
    Recurrence.MONTHLY: _l("Every month"),
    Recurrence.QUARTERLY: _l("Every quarter"),
    Recurrence.HALF_YEARLY: _l("Every half year"),
}

MONTHS_PER_PERIOD = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.HALF_YEARLY: 6}
HALF_MONTH = 15  # days between the two occurrences of a month twice a month
LONGEST_GAP = timedelta(days=190)  # more than any rule leaves between two occurrences


@dataclass(frozen=True)
class Rule:
    recurrence: Recurrence
    starts_on: date
    ends_on: date | None = None
    weekday: int | None = None  # weekly: 0 = Monday
    day_of_month: int | None = None  # twice a month: 1..15; monthly and longer: 1..31
    period_month: int | None = None  # quarterly 1..3, half-yearly 1..6

    def falls_on(self, day: date) -> bool:
        """Is `day` an occurrence, ignoring the start and end dates?"""
        if self.recurrence == Recurrence.DAILY:
            return True
        if self.recurrence == Recurrence.WEEKLY:
            return day.weekday() == (self.weekday or 0)
        last = calendar.monthrange(day.year, day.month)[1]
        first_day = self.day_of_month or 1
        if self.recurrence == Recurrence.HALF_MONTHLY:
            return day.day in (min(first_day, last), min(first_day + HALF_MONTH, last))
        months = MONTHS_PER_PERIOD[self.recurrence]
        if (day.month - 1) % months != (self.period_month or 1) - 1:
            return False
        return day.day == min(first_day, last)


def due_dates(rule: Rule, start: date, end: date) -> list[date]:
    """The occurrences from `start` to `end`, both included, within the rule's own dates."""
    first = max(start, rule.starts_on)
    last = min(end, rule.ends_on) if rule.ends_on else end
    days = (last - first).days + 1
    return [
        day
        for day in (first + timedelta(days=n) for n in range(max(days, 0)))
        if rule.falls_on(day)
    ]


def open_until(rule: Rule, due: date) -> date:
    """The last day an occurrence may be done: the day before the next one."""
    day = due + timedelta(days=1)
    while not rule.falls_on(day) and day - due < LONGEST_GAP:
        day += timedelta(days=1)
    return day - timedelta(days=1)


def current_due(rule: Rule, today: date) -> date | None:
    """The occurrence open today, if the rule has one."""
    earlier = due_dates(rule, today - LONGEST_GAP, today)
    if not earlier:
        return None
    return earlier[-1] if open_until(rule, earlier[-1]) >= today else None
