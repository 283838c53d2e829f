"""Counting checks against the issued versions, so that one network cannot try codes without
end."""

from datetime import timedelta

from app.core.extensions import db
from app.web.guard import note_submission, over_limit

CHECKS_PER_ADDRESS = 20
CHECK_WINDOW = timedelta(minutes=10)


def too_many_checks() -> bool:
    return over_limit("verify", CHECKS_PER_ADDRESS, CHECK_WINDOW)


def count_check() -> None:
    note_submission("verify")
    db.session.commit()
