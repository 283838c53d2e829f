"""The public pages' rate limit: visits are noted per address, and forgotten once no limit
looks at them any more."""

from datetime import timedelta

import sqlalchemy as sa

from app.core.extensions import db
from app.core.timeutil import utcnow
from app.jobs.clock import run_due_jobs
from app.web.guard import VISITS_KEPT, address_hash, over_limit
from app.web.models import PublicSubmission


def test_the_clock_forgets_public_visits_no_limit_looks_at_any_more(app):
    now = utcnow()
    ages = [timedelta(minutes=5), timedelta(minutes=59), VISITS_KEPT - timedelta(minutes=1)]
    ages += [VISITS_KEPT + timedelta(minutes=1), timedelta(days=400)]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        here = address_hash()
        db.session.add_all(
            PublicSubmission(kind="results", address_hash=here, at=now - age) for age in ages
        )
        db.session.commit()
        assert over_limit("results", 2, timedelta(hours=1))

        assert run_due_jobs(now)["public_visits"] == "2 public visits forgotten"

        kept = db.session.scalars(sa.select(PublicSubmission.at)).all()
        assert len(kept) == 3
        assert over_limit("results", 2, timedelta(hours=1)), "the hour's visits still count"
