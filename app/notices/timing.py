"""How long is left before a deadline, said the way a notice says it."""

from datetime import datetime

from flask_babel import gettext as _

from app.core.timeutil import as_utc


def time_left(deadline: datetime, now: datetime) -> str:
    seconds = (as_utc(deadline) - now).total_seconds()
    overdue = seconds < 0
    minutes = int(abs(seconds) // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if overdue:
        if days:
            return _("Overdue by %(days)d days %(hours)d hours", days=days, hours=hours)
        return _("Overdue by %(hours)d hours %(minutes)d minutes", hours=hours, minutes=minutes)
    if days:
        return _("%(days)d days %(hours)d hours left", days=days, hours=hours)
    return _("%(hours)d hours %(minutes)d minutes left", hours=hours, minutes=minutes)
