"""Quarterly satisfaction surveys: answering once per browser or once per printed answer
card, the rates they give, and handing those rates to the month's assessment."""

import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.catalog.models import Contractor
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.feedback.models import Rating, Survey, SurveyCard, SurveyRating, SurveyResponse
from app.web.guard import keyed_hash, note_submission

MAX_COMMENT = 1000


CARD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread: no 0/O, 1/I
CARD_LENGTH = 10
MAX_CARDS = 500


def _card_hash(survey: Survey, code: str) -> str:
    return keyed_hash("card", str(survey.id), code)


def normalise_card(code: str) -> str:
    """A code as typed from a card: any case, spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch in CARD_ALPHABET)


def open_survey(user: User, title: str, quarter: str, opens_on, closes_on) -> Survey:
    """A new satisfaction survey for the quarter; commits."""
    survey = Survey(
        created_by=user, title=title, quarter=quarter, opens_on=opens_on, closes_on=closes_on
    )
    db.session.add(survey)
    db.session.commit()
    return survey


def set_access(survey: Survey, cards_only: bool) -> None:
    """Let anyone with the link answer, or only holders of an answer card; commits."""
    survey.cards_only = cards_only
    record_event("survey_access", survey, detail="cards" if cards_only else "link")
    db.session.commit()


def issue_cards(survey: Survey, count: int) -> list[str]:
    """New answer cards for the survey; their codes are returned once, to print, and from
    then on only their hashes are kept. Commits."""
    if not 1 <= count <= MAX_CARDS:
        raise ValueError(count)
    codes = [
        "".join(secrets.choice(CARD_ALPHABET) for _ in range(CARD_LENGTH)) for _ in range(count)
    ]
    db.session.add_all(SurveyCard(survey=survey, code_hash=_card_hash(survey, c)) for c in codes)
    record_event("survey_cards_issued", survey, detail=str(len(codes)))
    db.session.commit()
    return codes


def card_for(survey: Survey, code: str) -> SurveyCard | None:
    code = normalise_card(code)
    if len(code) != CARD_LENGTH:
        return None
    return db.session.scalar(
        sa.select(SurveyCard).where(
            SurveyCard.survey_id == survey.id, SurveyCard.code_hash == _card_hash(survey, code)
        )
    )


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
    survey: Survey,
    voter_token: str,
    ratings: dict[int, Rating],
    comment: str = "",
    card_code: str = "",
) -> SurveyResponse:
    """Store one person's ratings: one per browser (its `voter_token`), or on a survey for
    card holders only, one per answer card. The caller commits; the unique key stops a
    second answer that slips past the check in a race."""
    if not ratings:
        raise Refused(_("Rate at least one service."))
    if survey.cards_only:
        card = card_for(survey, card_code)
        if card is None:
            raise Refused(_("This answer card code is not valid for this survey."))
        if card.used:
            raise Refused(_("This answer card has already been used. Thank you."))
        card.used = True
        voter_token = f"card:{normalise_card(card_code)}"
    elif has_answered(survey, voter_token):
        raise Refused(_("This browser has already answered this survey. Thank you."))
    known = set(db.session.scalars(sa.select(Contractor.id).where(Contractor.active.is_(True))))
    if not set(ratings) <= known:
        raise Refused(_("The answer names a service that is not in this survey."))
    response = SurveyResponse(
        survey=survey,
        voter_hash=voter_hash(survey, voter_token),
        comment=(comment or "").strip()[:MAX_COMMENT],
        ratings=[SurveyRating(contractor_id=cid, rating=rating) for cid, rating in ratings.items()],
    )
    db.session.add(response)
    return response


def keep_answer(
    survey: Survey, voter_token: str, ratings: dict[int, Rating], comment: str, card_code: str
) -> None:
    """Record a public answer and count it against its network's limit; commits. Refused,
    or an IntegrityError when the same browser or card answers twice at once: nothing kept."""
    try:
        record_answer(survey, voter_token, ratings, comment, card_code=card_code)
        note_submission("survey")
        db.session.commit()
    except (Refused, sa.exc.IntegrityError):
        db.session.rollback()
        raise


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


def quarter_months(quarter: str) -> list[str]:
    year, number = quarter.split("-Q")
    first = (int(number) - 1) * 3 + 1
    return [f"{year}-{month:02d}" for month in range(first, first + 3)]
