"""Keeping the deadline rules: the escalation policy and the hours each severity gets to be
fixed, bureau-wide and on each service line. Saving writes and commits."""

import sqlalchemy as sa

from app.catalog.models import ServiceLine, Severity
from app.core.extensions import db
from app.notices.deadlines import notice_policy
from app.notices.forms import hours_field_name
from app.notices.models import DeadlineRule


def rules_by_key() -> dict[tuple[Severity, int | None], DeadlineRule]:
    """Each stored rule by its severity and service line (None: bureau-wide)."""
    return {
        (rule.severity, rule.service_line_id): rule
        for rule in db.session.scalars(sa.select(DeadlineRule))
    }


def save_deadline_rules(form, lines: list[ServiceLine]) -> None:
    """The validated rules form: the policy's fields, each severity's hours bureau-wide and
    per line; a line left empty loses its own rule."""
    policy = notice_policy()
    form.populate_obj(policy)
    rules_now = rules_by_key()
    for line in [None, *lines]:
        line_id = line.id if line else None
        for severity in Severity:
            hours = form[hours_field_name(severity, line)].data
            rule = rules_now.get((severity, line_id))
            if hours is None:
                if rule is not None:
                    db.session.delete(rule)
            elif rule is None:
                db.session.add(
                    DeadlineRule(severity=severity, service_line_id=line_id, hours=hours)
                )
            else:
                rule.hours = hours
    db.session.merge(policy)
    db.session.commit()
