"""What keeps the public forms (no login) usable and clean: a per-address rate limit kept in
the database (so every worker sees it), a honeypot field, and a minimum time to fill in."""

import hashlib
import hmac
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.extensions import db
from app.core.timeutil import utcnow
from app.web.models import PublicSubmission

FORM_MIN_SECONDS = 3
FORM_MAX_AGE_SECONDS = 4 * 3600


def keyed_hash(*parts: str) -> str:
    """A hash no one without the secret key can reverse or test guesses against."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def address_hash() -> str:
    return keyed_hash("address", request.remote_addr or "")


def over_limit(kind: str, limit: int, window: timedelta) -> bool:
    recent = db.session.scalar(
        sa.select(sa.func.count(PublicSubmission.id)).where(
            PublicSubmission.kind == kind,
            PublicSubmission.address_hash == address_hash(),
            PublicSubmission.at >= utcnow() - window,
        )
    )
    return recent >= limit


def note_submission(kind: str) -> None:
    db.session.add(PublicSubmission(kind=kind, address_hash=address_hash()))


# Longer than any limit's window (an hour at most), so pruning never lets anyone through early.
VISITS_KEPT = timedelta(days=1)


def forget_old_visits(now) -> int:
    """Remove what the limits no longer look at: every public visit would otherwise stay for
    ever (the results page notes each one). Returns how many went."""
    gone = db.session.execute(
        sa.delete(PublicSubmission).where(PublicSubmission.at < now - VISITS_KEPT)
    )
    return gone.rowcount


def _stamps() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-form")


def form_stamp() -> str:
    """Put in the form when it is shown; checked when it comes back."""
    return _stamps().dumps(time.time())


def looks_automated(stamp: str, honeypot: str) -> bool:
    """A filled honeypot, a missing or forged stamp, or a form sent back within seconds."""
    if honeypot:
        return True
    try:
        shown = _stamps().loads(stamp or "", max_age=FORM_MAX_AGE_SECONDS)
    except BadSignature:
        return True
    return time.time() - float(shown) < FORM_MIN_SECONDS
