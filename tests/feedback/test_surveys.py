"""Satisfaction surveys: the public questionnaire (bad, duplicate, automated and too many
answers), the rates it gives, and those rates in the month's assessment."""

import re
import subprocess
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app.assessments.models import SatisfactionEntry
from app.assessments.satisfaction import apply_survey_results
from app.auth.models import Role
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import local_today
from app.feedback.models import Rating, Survey, SurveyResponse
from app.feedback.surveys import keep_answer, record_answer, results
from app.web.models import PublicSubmission
from tests.helpers import login


@pytest.fixture
def survey(make_user, make_contractor):
    manager = make_user(Role.MANAGER)
    caterer, cleaner = make_contractor(name="禾香餐饮"), make_contractor(name="安泰物业")
    today = local_today()
    survey = Survey(
        title="2026年第四季度服务满意度征询",
        quarter="2026-Q4",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        slug="q4-demo-slug",
        created_by=manager,
    )
    db.session.add(survey)
    db.session.commit()
    return {"survey": survey, "manager": manager, "caterer": caterer, "cleaner": cleaner}


def test_rates_count_satisfied_and_fairly_satisfied(survey):
    s, caterer, cleaner = survey["survey"], survey["caterer"], survey["cleaner"]
    for n, (food, cleaning) in enumerate(
        [
            (Rating.SATISFIED, Rating.SATISFIED),
            (Rating.FAIR, Rating.DISSATISFIED),
            (Rating.DISSATISFIED, None),
            (Rating.SATISFIED, Rating.FAIR),
        ]
    ):
        ratings = {caterer.id: food} | ({cleaner.id: cleaning} if cleaning else {})
        record_answer(s, f"browser-{n}", ratings)
    db.session.commit()
    rates = {r.contractor.name: (r.answers, r.rate) for r in results(s)}
    assert rates == {"禾香餐饮": (4, Decimal("75.00")), "安泰物业": (3, Decimal("66.67"))}
    with pytest.raises(Refused):
        record_answer(s, "browser-0", {caterer.id: Rating.SATISFIED})  # once per browser
    with pytest.raises(Refused):
        record_answer(s, "browser-9", {})

    assert apply_survey_results(s, "2026-12", survey["manager"]) == 2
    db.session.commit()
    entry = db.session.scalar(
        sa.select(SatisfactionEntry).where(SatisfactionEntry.contractor_id == caterer.id)
    )
    assert (entry.month, entry.rate, entry.respondents) == ("2026-12", Decimal("75.00"), 4)


def test_a_kept_answer_is_committed_and_counted_and_a_refused_one_leaves_nothing(app, survey):
    s, caterer = survey["survey"], survey["caterer"]
    counted = sa.select(sa.func.count()).select_from(PublicSubmission)
    with app.test_request_context(f"/s/{s.slug}", method="POST"):
        keep_answer(s, "browser-1", {caterer.id: Rating.SATISFIED}, " 很好 ", "")
        db.session.rollback()
        assert db.session.scalar(counted) == 1
        with pytest.raises(Refused):
            keep_answer(s, "browser-1", {caterer.id: Rating.FAIR}, "又来", "")
        assert db.session.scalar(counted) == 1
    assert [r.comment for r in db.session.scalars(sa.select(SurveyResponse))] == ["很好"]


def stamp(app, seconds_ago=30):
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="public-form").dumps(
        time.time() - seconds_ago
    )


def answer(client, app, survey, **fields):
    data = {f"rating-{survey['caterer'].id}": "satisfied", "stamp": stamp(app), **fields}
    return client.post("/s/q4-demo-slug", data=data)


def test_the_public_questionnaire_takes_one_answer_per_browser(app, client, survey):
    page = client.get("/s/q4-demo-slug")
    assert page.status_code == 200 and "禾香餐饮" in page.text and "安泰物业" in page.text
    assert "xj_voter" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
    assert answer(client, app, survey).status_code == 200
    again = answer(client, app, survey)
    assert again.status_code == 409 and "已经填写过" in again.text
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 1
    assert "已经填写过" in client.get("/s/q4-demo-slug").text, "the form is not offered again"

    other_browser = app.test_client()
    other_browser.get("/s/q4-demo-slug")
    assert answer(other_browser, app, survey).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 2


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"rating-999999": "satisfied"}, 422),  # rated nothing on the list
        ({"website": "buy now"}, 422),
        ({"stamp": "forged"}, 422),
    ],
)
def test_bad_and_automated_answers_are_refused(app, client, survey, fields, status):
    client.get("/s/q4-demo-slug")
    data = dict(fields)
    if "rating-999999" in data:
        data = {"stamp": stamp(app), **data}
        response = client.post("/s/q4-demo-slug", data=data)
    else:
        response = answer(client, app, survey, **data)
    assert response.status_code == status
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 0


def test_without_the_browser_token_no_answer_is_taken(app, client, survey):
    response = answer(client, app, survey)  # never opened the form: no cookie yet
    assert response.status_code == 422 and "Cookie" in response.text


def test_one_network_cannot_flood_the_survey(app, survey, monkeypatch):
    from app.feedback import survey_views

    monkeypatch.setattr(survey_views, "ANSWERS_PER_ADDRESS", 2)
    for expected in (200, 200, 429):
        browser = app.test_client()
        browser.get("/s/q4-demo-slug")
        assert answer(browser, app, survey).status_code == expected


def test_a_closed_survey_takes_no_answers(app, client, survey):
    survey["survey"].closes_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert client.get("/s/q4-demo-slug").status_code == 410
    assert client.get("/s/no-such-survey").status_code == 404


def test_managers_open_surveys_and_use_the_rates(app, client, survey, make_user):
    login(client, survey["manager"])
    refused = client.post(
        "/surveys/new",
        data={
            "title": "x",
            "quarter": "2026-4",
            "opens_on": "2026-10-01",
            "closes_on": "2026-09-01",
        },
    )
    assert refused.status_code == 422
    created = client.post(
        "/surveys/new",
        data={
            "title": "2027年第一季度满意度征询",
            "quarter": "2027-Q1",
            "opens_on": "2027-03-01",
            "closes_on": "2027-03-20",
        },
    )
    assert created.status_code == 302
    record_answer(survey["survey"], "b1", {survey["caterer"].id: Rating.SATISFIED})
    db.session.commit()
    page = client.get(f"/surveys/{survey['survey'].id}")
    assert "q4-demo-slug" in page.text and "<svg" in page.text and "100.00%" in page.text
    assert re.search(r'<option[^>]*value="2026-12"', page.text)
    applied = client.post(f"/surveys/{survey['survey'].id}/apply", data={"month": "2026-12"})
    assert applied.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(SatisfactionEntry.id))) == 1
    assert (
        client.post(f"/surveys/{survey['survey'].id}/apply", data={"month": "2027-01"}).status_code
        == 400
    )
    client.post("/logout")
    login(client, make_user(Role.INSPECTOR))
    assert client.get("/surveys").status_code == 200
    assert (
        client.post(f"/surveys/{survey['survey'].id}/apply", data={"month": "2026-12"}).status_code
        == 403
    )


def test_answer_cards_take_one_answer_per_card_whatever_the_browser(app, client, survey, tmp_path):
    """A manager switches the survey to card holders only and prints cards; each card
    answers once, from any browser; a made-up, reused or missing code is refused."""
    login(client, survey["manager"])
    switched = client.post(f"/surveys/{survey['survey'].id}/access", data={"cards_only": "yes"})
    assert switched.status_code == 302
    too_many = client.post(f"/surveys/{survey['survey'].id}/cards", data={"count": "501"})
    assert too_many.status_code == 302 and not survey["survey"].cards
    sheet = client.post(f"/surveys/{survey['survey'].id}/cards", data={"count": "3"})
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    (tmp_path / "cards.pdf").write_bytes(sheet.data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "cards.pdf"), "-"], capture_output=True, text=True
    ).stdout
    codes = re.findall(r"\b([A-Z2-9]{5}-[A-Z2-9]{5})\b", text)
    assert len(set(codes)) == 3
    assert "2026年第四季度服务满意度征询" in text
    assert codes[0].replace("-", "") not in "".join(
        card.code_hash for card in survey["survey"].cards
    ), "only hashes are stored"
    client.post("/logout")

    def with_card(browser, code, **fields):
        return answer(browser, app, survey, card=code, **fields)

    assert "答卷卡" in client.get("/s/q4-demo-slug").text, "asks for the card's code"
    assert with_card(client, "").status_code == 422
    assert with_card(client, "AAAAA-AAAAA").status_code == 422
    assert with_card(client, codes[0].lower().replace("-", " ")).status_code == 200
    reused = with_card(app.test_client(), codes[0])
    assert reused.status_code == 409 and "已使用" in reused.text
    assert with_card(client, codes[1]).status_code == 200, "the same browser, another card"
    scanned = app.test_client().get(f"/s/q4-demo-slug?card={codes[2]}")
    assert scanned.status_code == 200 and 'name="card" value="' in scanned.text
    assert "xj_voter" not in scanned.headers.get("Set-Cookie", ""), "cards need no cookie"
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 2
    db.session.expire_all()
    assert sum(card.used for card in survey["survey"].cards) == 2
