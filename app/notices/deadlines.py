"""Deadline rules per severity (and optionally service line) and the escalation policy."""

import sqlalchemy as sa

from app.catalog.models import CheckCategory, CheckPoint, Severity
from app.core.extensions import db
from app.notices.models import DeadlineRule, NoticePolicy

# What a bureau starts with: hours for a critical hazard, days for the rest.
DEFAULT_HOURS = {Severity.CRITICAL: 24, Severity.MAJOR: 72, Severity.GENERAL: 168}
# A year: the most time a rule gives to fix a finding (the rules table holds it to that too),
# and how far ahead a deadline set by hand may lie.
MAX_HOURS = 8760


def deadline_hours(finding) -> int:
    """Hours allowed to fix a finding: the rule for its line and severity, else its severity's."""
    line_id = (
        db.session.scalar(
            sa.select(CheckCategory.service_line_id)
            .join(CheckPoint, CheckPoint.category_id == CheckCategory.id)
            .where(CheckPoint.id == finding.check_point_id)
        )
        if finding.check_point_id
        else None
    )
    rules = db.session.scalars(
        sa.select(DeadlineRule).where(DeadlineRule.severity == finding.severity)
    ).all()
    for rule in rules:
        if line_id is not None and rule.service_line_id == line_id:
            return rule.hours
    for rule in rules:
        if rule.service_line_id is None:
            return rule.hours
    return DEFAULT_HOURS[finding.severity]


def notice_policy() -> NoticePolicy:
    """The escalation policy; until managers first save it, the defaults (not yet stored)."""
    return db.session.get(NoticePolicy, 1) or NoticePolicy(
        id=1, overdue_warning_days=7, warning_after_rejections=2, reminder_hours=24
    )


def ensure_default_rules() -> None:
    """Give each severity a bureau-wide rule if it has none."""
    for severity, hours in DEFAULT_HOURS.items():
        exists = db.session.scalar(
            sa.select(DeadlineRule.id).where(
                DeadlineRule.severity == severity, DeadlineRule.service_line_id.is_(None)
            )
        )
        if exists is None:
            db.session.add(DeadlineRule(severity=severity, hours=hours))
