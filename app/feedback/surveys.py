"""Quarterly satisfaction surveys: answering once per browser, the rates they give, and
handing those rates to the month's assessment."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.assessments.models import SatisfactionEntry
from app.auth.models import User
from app.catalog.models import Contractor
from app.extensions import db
from app.feedback.guard import keyed_hash
from app.feedback.models import Rating, Survey, SurveyRating, SurveyResponse

MAX_COMMENT = 1000


class AnswerRefused(ValueError):
    """The answer cannot be taken; the message says why, for the person answering."""


def voter_hash(survey: Survey, voter_token: str) -> str:
    return keyed_hash("voter", str(survey.id), voter_token)


def has_answered(survey: Survey, voter_token: str) -> bool:
    return (
        db.session.scalar(
            sa.select(SurveyResponse.id).where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.voter_hash == voter_hash(survey, voter_token),
            )
        )
        is not None
    )


def record_answer(
    survey: Survey, voter_token: str, ratings: dict[int, Rating], comment: str = ""
) -> SurveyResponse:
    """Store one person's ratings (the caller commits; the unique key stops a second one
    that slips past the check in a race)."""
    if not ratings:
        raise AnswerRefused(_("Rate at least one service."))
    if has_answered(survey, voter_token):
        raise AnswerRefused(_("This browser has already answered this survey. Thank you."))
    known = set(db.session.scalars(sa.select(Contractor.id).where(Contractor.active.is_(True))))
    if not set(ratings) <= known:
        raise AnswerRefused(_("The answer names a service that is not in this survey."))
    response = SurveyResponse(
        survey=survey,
        voter_hash=voter_hash(survey, voter_token),
        comment=(comment or "").strip()[:MAX_COMMENT],
        ratings=[SurveyRating(contractor_id=cid, rating=rating) for cid, rating in ratings.items()],
    )
    db.session.add(response)
    return response


@dataclass
class ContractorResult:
    contractor: Contractor
    counts: dict[Rating, int]

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> Decimal | None:
        """满意率: satisfied and fairly satisfied answers over all answers, in per cent."""
        if not self.answers:
            return None
        content = self.counts[Rating.SATISFIED] + self.counts[Rating.FAIR]
        return (Decimal(100) * content / self.answers).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def results(survey: Survey) -> list[ContractorResult]:
    rows = db.session.execute(
        sa.select(SurveyRating.contractor_id, SurveyRating.rating, sa.func.count())
        .join(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyRating.contractor_id, SurveyRating.rating)
    ).all()
    counts: dict[int, dict[Rating, int]] = {}
    for contractor_id, rating, count in rows:
        counts.setdefault(contractor_id, {r: 0 for r in Rating})[Rating(rating)] = count
    contractors = db.session.scalars(
        sa.select(Contractor).where(Contractor.id.in_(counts)).order_by(Contractor.name)
    ).all()
    return [ContractorResult(c, counts[c.id]) for c in contractors]


def apply_to_assessment(survey: Survey, month: str, user: User) -> int:
    """Write each contractor's rate as the month's satisfaction (replacing what a manager
    entered by hand); returns how many contractors got one."""
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
        entry.rate, entry.respondents, entry.entered_by_id = result.rate, result.answers, user.id
        db.session.add(entry)
        applied += 1
    survey.applied_month = month
    return applied
