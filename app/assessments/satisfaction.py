"""A quarter's survey results become contractors' satisfaction for a month of the assessment."""

import sqlalchemy as sa

from app.assessments.history import record_score_change
from app.assessments.models import SatisfactionEntry
from app.auth.models import User
from app.core.extensions import db
from app.feedback.models import Survey
from app.feedback.surveys import results


def apply_survey_results(survey: Survey, month: str, user: User) -> int:
    """Write each contractor's rate as the month's satisfaction (replacing what a manager
    entered by hand), audited and committed; returns how many contractors got one."""
    applied = 0
    for result in results(survey):
        if result.rate is None:
            continue
        entry = db.session.scalar(
            sa.select(SatisfactionEntry).where(
                SatisfactionEntry.month == month,
                SatisfactionEntry.contractor_id == result.contractor.id,
            )
        ) or SatisfactionEntry(month=month, contractor_id=result.contractor.id)
        record_score_change(
            "satisfaction_set",
            result.contractor.id,
            month,
            from_state=f"{entry.rate}%" if entry.rate is not None else None,
            to_state=f"{result.rate}%",
            detail=survey.title,
        )
        entry.rate, entry.respondents, entry.entered_by_id = result.rate, result.answers, user.id
        db.session.add(entry)
        applied += 1
    survey.applied_month = month
    db.session.commit()
    return applied
