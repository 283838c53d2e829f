"""The history of a score: every change to what a contractor's month counts (bonuses,
satisfaction, the assessment rules) goes into the audit log, and is read back from it."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.assessments.models import (
    BAND_RULES,
    INTEGER_RULES,
    POINT_RULES,
    WEIGHT_RULES,
)
from app.catalog.rules import AssessmentPolicy
from app.core.audit import AuditEvent, record_event
from app.core.extensions import db
from app.inspections.models import Tier

SCORE_OBJECT = "contractor_scores"
POLICY_OBJECT = "assessment_policy"


def record_score_change(
    action: str,
    contractor_id: int,
    month: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: str = "",
) -> None:
    """Audit a change to a contractor's month; the caller commits with the change."""
    record_event(
        action,
        object_type=SCORE_OBJECT,
        object_id=contractor_id,
        from_state=from_state,
        to_state=to_state,
        detail=f"{month} · {detail}" if detail else month,
    )


def score_events(contractor_id: int, month: str) -> list[AuditEvent]:
    """Changes to this contractor's month, and to the rules every score is worked out by."""
    of_the_month = sa.and_(
        AuditEvent.object_type == SCORE_OBJECT,
        AuditEvent.object_id == contractor_id,
        sa.or_(AuditEvent.detail == month, AuditEvent.detail.startswith(f"{month} · ")),
    )
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(sa.or_(of_the_month, AuditEvent.object_type == POLICY_OBJECT))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# What the rules' fields are called: on the rules page and in the score's history.
POLICY_LABELS = {
    "overdue_notice_points": _l("Deducted per overdue notice"),
    "exit_warning_points": _l("Deducted per written exit warning"),
    "complaint_points": _l("Deducted per upheld complaint"),
    "bonus_cap": _l("Most bonus points in a month"),
    "praise_top": _l("Praise the best (how many)"),
    "criticise_below": _l("Criticise by name below this score"),
    "repeat_window_days": _l("A finding repeats one found within (days)"),
    "repeat_weight": _l("Weight of a repeat's deduction"),
    "score_bands": _l("Deposit reward by score (per cent of the month's deposit)"),
    "satisfaction_bands": _l("Deposit reward by satisfaction (per cent of the month's deposit)"),
}


TIER_WEIGHT_LABELS = {tier.value: Tier.LABELS[tier] for tier in Tier} | {
    "self_check": _l("Failure reported in a contractor's self-check")
}


def policy_summary(policy: AssessmentPolicy) -> dict[str, str]:
    """The rules as text, field by field, to say what a change changed."""
    summary = {f"weight {tier}": _number(value) for tier, value in policy.tier_weights.items()}
    for name in (*POINT_RULES, *INTEGER_RULES, *WEIGHT_RULES):
        summary[name] = _number(getattr(policy, name))
    for name in BAND_RULES:
        summary[name] = ", ".join(
            f"≥{_number(band['minimum'])}: {_number(band['percent'])}%"
            for band in getattr(policy, name)
        )
    return summary


def _number(value) -> str:
    """5, 5.0 and "5.00" alike, so an unchanged rule does not look changed."""
    return format(Decimal(str(value)).normalize(), "f")


def policy_changes(before: dict[str, str], after: dict[str, str]) -> str:
    changed = [
        f"{name}: {before.get(name, '—')} → {value}"
        for name, value in after.items()
        if before.get(name) != value
    ]
    return "; ".join(changed)[:2000]
