"""What the managers enter into a month's assessment (bonus points, the satisfaction rate)
and the rules they change: each action writes, records the change and commits."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.assessments.forms import apply_policy_form
from app.assessments.history import policy_changes, policy_summary, record_score_change
from app.assessments.models import BonusEntry, BonusKind, SatisfactionEntry
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine
from app.core.audit import record_event
from app.core.extensions import db


def add_bonus(
    month: str,
    contractor: Contractor,
    line: ServiceLine,
    kind: BonusKind,
    points: Decimal,
    reason: str,
    by: User,
) -> BonusEntry:
    bonus = BonusEntry(
        month=month,
        contractor=contractor,
        service_line=line,
        kind=kind,
        points=points.quantize(Decimal("0.1")),
        reason=reason[:2000],
        created_by_id=by.id,
    )
    db.session.add(bonus)
    record_score_change(
        "bonus_added",
        contractor.id,
        month,
        detail=f"+{bonus.points} · {line.name} · {kind.label} · {bonus.reason}",
    )
    db.session.commit()
    return bonus


def set_satisfaction(
    month: str, contractor: Contractor, rate: Decimal, respondents: int, by: User
) -> SatisfactionEntry:
    """The month's satisfaction rate of a contractor, entered or corrected."""
    entry = db.session.scalar(
        sa.select(SatisfactionEntry).where(
            SatisfactionEntry.month == month, SatisfactionEntry.contractor_id == contractor.id
        )
    )
    if entry is None:
        entry = SatisfactionEntry(month=month, contractor_id=contractor.id)
        db.session.add(entry)
    record_score_change(
        "satisfaction_set",
        contractor.id,
        month,
        from_state=f"{entry.rate}%" if entry.rate is not None else None,
        to_state=f"{rate.quantize(Decimal('0.01'))}%",
        detail=_("%(n)s respondents", n=respondents),
    )
    entry.rate = rate.quantize(Decimal("0.01"))
    entry.respondents = respondents
    entry.entered_by_id = by.id
    db.session.commit()
    return entry


def save_policy(current, form) -> None:
    """The assessment rules as the policy form says, the change recorded with what changed."""
    before = policy_summary(current)
    apply_policy_form(form, current)
    record_event(
        "policy_saved",
        object_type="assessment_policy",
        from_state=None,
        detail=policy_changes(before, policy_summary(current)),
    )
    db.session.merge(current)
    db.session.commit()
