"""The pages every role opens most run a fixed number of SQL statements, however many drafts,
notices and plans there are: counts are deterministic where times are not."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.timeutil import local_today, month_of, utcnow
from app.demo import seed_demo
from app.feedback.complaints import file_complaint
from app.feedback.models import ComplaintChannel
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope, Tier
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.lifecycle import acknowledge, draft_notices, escalate, issue, report_fix
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence
from tests.helpers import IsolatedClient, jpeg, login

THIS_MONTH = month_of(utcnow())
PAGES = {
    "inspector": ["/", "/notices", "/inspections", "/plans", "/inbox"],
    "manager": [
        "/",
        "/notices",
        "/inspections",
        "/plans",
        "/plans/missed",
        "/complaints",
        f"/assessments/{THIS_MONTH}",
        f"/assessments/{THIS_MONTH}.xlsx",
        f"/bulletins/{THIS_MONTH}",
    ],
    "contractor": ["/", "/notices", "/inbox"],
}


@contextmanager
def counting():
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def page_counts(app) -> dict[str, int]:
    app.test_client_class = IsolatedClient  # each request its own session, as in production
    counts = {}
    for username, pages in PAGES.items():
        client = app.test_client()
        login(
            client,
            db.session.scalar(sa.select(User).where(User.username == username)),
            password="demo12345",
        )
        for page in pages:
            with counting() as seen:
                assert client.get(page).status_code == 200, page
            counts[f"{username} {page}"] = len(seen)
    return counts


def issued_notice(inspector, lobby, cleaning):
    checked = start_inspection(Plan(Scope.STRIP, lobby, service_line=cleaning), inspector)
    failed = checked.items[0]
    record_answer(failed, Answer.FAIL, inspector)
    record_note(failed, "地面有水渍", inspector)
    attach_photo(failed, jpeg(), inspector)
    for item in checked.items[1:]:
        record_answer(item, Answer.PASS, inspector)
    submit(checked, inspector)
    (notice,) = draft_notices(checked, inspector)
    issue(notice, inspector)
    return notice


def more_of_everything(n: int) -> None:
    """n more drafts, notices with a fix to verify, overdue notices, complaints and patrol
    plans."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    inspector, contractor = users["inspector"], users["contractor"]
    cleaning = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    for _ in range(n):
        start_inspection(Plan(Scope.STRIP, lobby, service_line=cleaning), inspector)
        fixed = issued_notice(inspector, lobby, cleaning)
        acknowledge(fixed, contractor)
        report_fix(fixed.items[0], contractor, "已拖干", [jpeg()])
        late = issued_notice(inspector, lobby, cleaning)
        for item in late.items:
            item.deadline = utcnow() - timedelta(hours=1)
        file_complaint(ComplaintChannel.HOTLINE, "门岗不让进", "访客被拦")
        db.session.add(
            InspectionPlan(
                name=f"加测巡检{db.session.scalar(sa.select(sa.func.count(InspectionPlan.id)))}",
                recurrence=Recurrence.DAILY,
                starts_on=local_today() - timedelta(days=3),
                tier=Tier.DAILY,
                scope=Scope.STRIP,
                service_line=cleaning,
                stops=[PlanStop(site=lobby, position=1)],
                inspectors=[inspector],
            )
        )
        escalate()
        db.session.commit()


@pytest.mark.parametrize("extra", [6])
def test_main_pages_run_as_many_statements_with_more_rows(app, extra):
    seed_demo(history=False)
    more_of_everything(1)
    before = page_counts(app)
    more_of_everything(extra)
    after = page_counts(app)
    grew = {page: (before[page], after[page]) for page in before if after[page] != before[page]}
    assert grew == {}, f"statements grew with the rows: {grew}"


def test_a_tap_runs_four_statements_and_a_changed_answer_nine(app):
    """An item's first answer: the user, one check (the item is in a draft the user is on),
    the history row (skipped for a replay), the item's answer; the phone already shows it, so
    no card comes back. A changed answer also reads what the card shows, and no more: the item
    with its contractor, the checklist's counts for the progress bar, the answer history, the
    photos, and on a failed item's form for photos the managers' evidence rules (camera or
    gallery); not the inspection, its inspectors or its items, nor the user again."""
    seed_demo(history=False)
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    cleaning = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    draft = start_inspection(Plan(Scope.STRIP, lobby, service_line=cleaning), inspector)
    db.session.commit()
    url = f"/inspections/{draft.id}/items/{draft.items[0].id}/answer"
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, inspector, password="demo12345")
    counts = []
    for n, answer in enumerate(("pass", "fail", "na")):
        with counting() as seen:
            tapped = client.post(
                url,
                data={"answer": answer, "client_uuid": f"00000000-0000-4000-8000-00000000000{n}"},
                headers={"HX-Request": "true"},
            )
        assert tapped.status_code == 200
        counts.append(len(seen))
    assert counts == [4, 9, 8]  # pass, fail (with its failure section), na
