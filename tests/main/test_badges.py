"""The navigation's badges are counted in SQL (queues.badge_counts) instead of building the
user's whole queue: for every role, in a world with something in each state, the numbers are
the queue's."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.auth.models import Role, User
from app.auth.throttle import record_attempt
from app.catalog.models import CheckCategory, CheckPoint, Contractor
from app.core.extensions import db
from app.core.timeutil import LOCAL_TZ, local_today, utcnow
from app.demo import factories, seed_demo
from app.feedback.complaints import accept, add_evidence, file_complaint
from app.feedback.models import ComplaintChannel
from app.inspections.models import Status
from app.main.queues import Badges, Queue, badge_counts, queue_for
from app.notices.lifecycle import accept_fix, acknowledge, draft_notices, issue, report_fix
from app.notices.models import NoticeStatus
from app.plans.models import InspectionPlan, PlanActivity, VisitState
from app.plans.recurrence import Recurrence
from tests.helpers import IsolatedClient, jpeg, login

MOMENTS = [
    datetime(2026, 12, 7, 9, 30, tzinfo=LOCAL_TZ),  # a Monday morning at the bureau
    datetime(2027, 2, 28, 23, 50, tzinfo=LOCAL_TZ),  # a Sunday night, the month's last
    datetime(2027, 3, 1, 3, 0, tzinfo=LOCAL_TZ),  # early morning: still 28 February in UTC
]
MOMENT_NAMES = ["monday-morning", "month-end-night", "utc-day-before"]


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def company(short_name: str) -> Contractor:
    return db.session.scalar(sa.select(Contractor).where(Contractor.short_name == short_name))


def notice_of(firm: Contractor, findings: int = 2):
    """A draft notice to the company, of a submitted check that failed `findings` of its
    line's points at one of its places an hour ago."""
    points = db.session.scalars(
        sa.select(CheckPoint)
        .join(CheckCategory)
        .where(CheckCategory.service_line_id == firm.service_lines[0].id)
        .order_by(CheckPoint.id)
        .limit(findings)
    ).all()
    manager = user("manager")
    checked = factories.failed_inspection(
        firm, firm.sites[0], manager, points, utcnow() - timedelta(hours=1)
    )
    (notice,) = draft_notices(checked, manager)
    return notice


def notices_in_every_state(firm: Contractor, owner: User) -> None:
    """A draft; issued, on time and overdue; acknowledged: to fix, on time and overdue; one
    fix reported and one to fix, overdue (to verify and overdue at once: counted twice); one
    fix accepted and one to fix, overdue; every fix reported, on time and past its deadline
    (not overdue: it waits for us); every fix accepted (closed)."""
    manager, inspector = user("manager"), user("inspector")
    notice_of(firm)
    issued = [notice_of(firm) for _ in range(9)]
    for notice in issued:
        issue(notice, manager)
    _on_time, late, _to_fix, late_to_fix, half_reported, half_accepted, *reported, closed = issued
    for notice in issued[2:]:
        acknowledge(notice, owner)
    for notice in (half_reported, half_accepted, *reported, closed):
        for item in notice.items[: 1 if notice in (half_reported, half_accepted) else None]:
            report_fix(item, owner, "已整改", [jpeg()])
    for item in (half_accepted.items[0], *closed.items):
        accept_fix(item, inspector)
    assert closed.status == NoticeStatus.CLOSED
    for notice in (late, late_to_fix, half_reported, half_accepted, reported[1]):
        for item in notice.items:
            item.deadline = utcnow() - timedelta(hours=1)


def certificates_and_contracts() -> None:
    """Expired certificates: counted; expiring today, renewed, of a leaver, of a former
    contractor: not. Contracts ending within 90 days and due for re-tender, on either side
    of each limit."""
    today = local_today()
    for firm, expired in ((company("安泰物业"), 2), (company("鑫盾保安"), 1)):
        for _ in range(expired):
            factories.certificate(factories.staff_member(firm), expires_in_days=-1)
        factories.certificate(factories.staff_member(firm), expires_in_days=0)
    renewed = factories.staff_member(company("安泰物业"))
    factories.certificate(renewed, expires_in_days=-30)
    factories.certificate(renewed, expires_in_days=300)
    leaver = factories.staff_member(company("鑫盾保安"), active=False)
    factories.certificate(leaver, expires_in_days=-5)
    gone = factories.contractor(active=False, contract_end=today + timedelta(days=10))
    factories.certificate(factories.staff_member(gone), expires_in_days=-5)
    for started, ends in ((1096, 0), (1095, 90), (1097, 91), (400, -1), (10, 30)):
        factories.contractor(
            contract_start=today - timedelta(days=started),
            contract_end=today + timedelta(days=ends),
        )


def drafts_complaints_and_locked_accounts() -> None:
    """Drafts of one and of two inspectors; complaints received, accepted, investigated; a
    locked account and one whose failures a success wiped out."""
    inspector, second = user("inspector"), user("inspector2")
    draft = factories.failed_inspection(
        company("安泰物业"), company("安泰物业").sites[0], inspector, [], utcnow()
    )
    draft.status = Status.DRAFT
    draft.inspectors.append(second)
    for status in (Status.DRAFT, Status.SUBMITTED):
        other = factories.failed_inspection(
            company("鑫盾保安"), company("鑫盾保安").sites[0], second, [], utcnow()
        )
        other.status = status
    file_complaint(ComplaintChannel.HOTLINE, "门岗不让进", "访客被拦")
    accepted, _secret = file_complaint(ComplaintChannel.HOTLINE, "垃圾未清", "楼道堆放")
    accept(accepted, user("manager"))
    investigated, _secret = file_complaint(ComplaintChannel.HOTLINE, "电梯异响", "二号梯")
    accept(investigated, user("manager"))
    add_evidence(investigated, inspector, "调取监控", [jpeg()])
    factories.user(Role.CONTRACTOR, company("鑫盾保安"), "locked-out")
    for _ in range(5):
        record_attempt("locked-out", "10.0.0.1", False)
        record_attempt("hexiang", "10.0.0.2", False)
    record_attempt("hexiang", "10.0.0.2", True)


def visits_in_every_state() -> None:
    """Today's patrol: a stop done, one started, one not (done the day before, which does not
    count today); a plan of two places, both done by one check. Survey plans: one not opened,
    one opened and unanswered, and the demo's answered one (the manager's)."""
    today, inspector = local_today(), user("inspector")
    patrol = db.session.scalar(
        sa.select(InspectionPlan).where(InspectionPlan.recurrence == Recurrence.DAILY)
    )
    stops = [stop.site for stop in patrol.stops]
    for site, due, status in (
        (stops[0], today, Status.SUBMITTED),
        (stops[1], today, Status.DRAFT),
        (stops[2], today - timedelta(days=1), Status.SUBMITTED),
    ):
        visit = factories.failed_inspection(
            company("安泰物业"), site, inspector, [], utcnow() - timedelta(minutes=5)
        )
        visit.plan, visit.plan_due, visit.status = patrol, due, status
    firm = company("安泰物业")
    pair = factories.plan(
        "两处联查",
        firm.sites[:2],
        [inspector],
        today - timedelta(days=40),
        service_line=firm.service_lines[0],
    )
    both = factories.failed_inspection(
        firm, firm.sites[0], inspector, [], utcnow() - timedelta(minutes=3)
    )
    both.sites.append(firm.sites[1])
    both.plan, both.plan_due, both.status = pair, today, Status.SUBMITTED
    for name, opened in (("每日走访征询", False), ("每日食堂征询", True)):
        survey_plan = factories.plan(
            name,
            [],
            [inspector, user("manager")],
            today - timedelta(days=40),
            Recurrence.DAILY,
            tier=None,
            scope=None,
            activity=PlanActivity.SURVEY,
        )
        if opened:
            factories.survey(inspector, today, today, plan=survey_plan, plan_due=today)


def a_world_with_something_in_each_state() -> None:
    seed_demo(history=False)
    for short_name, username in (("安泰物业", "contractor"), ("鑫盾保安", "contractor2")):
        notices_in_every_state(company(short_name), user(username))
    certificates_and_contracts()
    drafts_complaints_and_locked_accounts()
    visits_in_every_state()
    db.session.commit()


def covered(queues: dict[str, Queue]) -> None:
    """The world holds something of each kind the badges count, so no count is compared on
    zeros alone."""
    kinds = (
        "expired_certificates",
        "contracts_ending",
        "contracts_for_retender",
        "locked_users",
        "drafts",
        "to_acknowledge",
        "to_fix",
        "to_verify",
        "overdue",
        "draft_notices",
    )
    empty = [kind for kind in kinds if not any(getattr(q, kind) for q in queues.values())]
    assert empty == [] and queues["manager"].complaints_open
    assert {v.state for v in queues["inspector"].planned} >= {
        VisitState.DONE,
        VisitState.IN_PROGRESS,
        VisitState.DUE,
    }
    manager = queues["manager"]
    assert {n.id for n in manager.to_verify} & {n.id for n in manager.overdue}
    own, other = queues["contractor"], queues["contractor2"]
    assert own.badges() != other.badges() and own.to_fix and other.to_fix


@pytest.mark.parametrize("moment", MOMENTS, ids=MOMENT_NAMES)
def test_the_badges_are_the_numbers_of_each_users_queue(app, moment):
    with time_machine.travel(moment, tick=False):
        a_world_with_something_in_each_state()
        queues = {}
        for person in db.session.scalars(sa.select(User).order_by(User.id)):
            queues[person.username] = queue_for(person)
            assert badge_counts(person) == queues[person.username].badges(), person.username
    covered(queues)


def main_navigation(page: str) -> str:
    """The navigation's entries and badges, without which of them is the current page."""
    nav = page[page.index('<nav class="mainnav"') : page.index("</nav>")]
    return nav.replace(' aria-current="page"', "").replace(' class="current"', "")


@pytest.mark.parametrize("username", ["manager", "inspector", "contractor", "admin"])
def test_other_pages_show_the_badges_the_home_page_shows(app, username):
    """The home page's navigation takes its numbers from the queue the page built, the other
    pages' from the counts: the same numbers."""
    with time_machine.travel(MOMENTS[0], tick=False):
        a_world_with_something_in_each_state()
        app.test_client_class = IsolatedClient
        client = app.test_client()
        login(client, user(username), password="demo12345")
        home = main_navigation(client.get("/").text)
        assert re.search(r'class="badge"[^>]*>[1-9]', home), home
        for page in ("/notices", "/bulletins"):
            assert main_navigation(client.get(page).text) == home, page


def test_the_badges_follow_the_clock_the_plans_and_the_role_within_a_day(app):
    """The counting statement is built once a day for each user and kept: a deadline passing
    later that day, a plan added and a new role still show, as the queue shows them."""

    def same_as_the_queue(username: str) -> Badges:
        person = user(username)
        counted = badge_counts(person)
        assert counted == queue_for(person).badges(), username
        return counted

    with time_machine.travel(MOMENTS[0], tick=False) as clock:
        a_world_with_something_in_each_state()
        notice = notice_of(company("安泰物业"))
        issue(notice, user("manager"))
        notice.items[0].deadline = utcnow() + timedelta(minutes=30)
        db.session.commit()
        morning = same_as_the_queue("manager")
        clock.shift(timedelta(hours=1))
        assert local_today() == MOMENTS[0].date()
        assert same_as_the_queue("manager").notices_waiting == morning.notices_waiting + 1

        before = same_as_the_queue("inspector")
        firm = company("安泰物业")
        factories.plan("午间加巡", firm.sites[:2], [user("inspector")], local_today())
        db.session.commit()
        assert same_as_the_queue("inspector").visits_due == before.visits_due + 2

        user("inspector").role = Role.MANAGER
        db.session.commit()
        assert same_as_the_queue("inspector").total > before.total
