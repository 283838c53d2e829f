"""The pages every role opens most run a fixed number of SQL statements, however many drafts,
notices and plans there are, and a record's page as many for a large record as for a small
one (findings, photos, fixes, places, history): counts are deterministic where times are
not."""

import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.auth.models import Role, User
from app.auth.throttle import record_attempt
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.timeutil import local_today, month_bounds, month_of, shift_month, utcnow
from app.demo import factories, seed_demo
from app.feedback.complaints import accept, add_evidence, file_complaint
from app.feedback.models import ComplaintChannel
from app.inspections.checklist import Plan, plan_check_points, start_inspection
from app.inspections.external import issue_guest_pass, start_external
from app.inspections.models import Answer, ExternalBody, Inspection, Scope, Status, Tier
from app.inspections.recording import (
    attach_photo,
    record_answer,
    record_note,
    reopen,
    submit,
)
from app.notices.lifecycle import (
    accept_fix,
    acknowledge,
    add_finding,
    draft_notices,
    escalate,
    issue,
    report_fix,
)
from app.notices.models import Notice, NoticeStatus
from app.plans.models import InspectionPlan, PlanStop
from app.plans.recurrence import Recurrence
from tests.helpers import IsolatedClient, demo_draft_at_the_lobby, jpeg, login, tap

THIS_MONTH = month_of(utcnow())
MONTH_PAGES = [
    f"/assessments/{THIS_MONTH}",
    f"/assessments/{THIS_MONTH}.xlsx",
    f"/bulletins/{THIS_MONTH}",
]
PAGES = {
    "inspector": ["/", "/notices", "/inspections", "/plans", "/inbox"],
    "manager": [
        "/",
        "/notices",
        "/inspections",
        "/plans",
        "/plans/missed",
        "/complaints",
        *MONTH_PAGES,
        "/notices?status=overdue",
        "/notices?status=draft",
        "/notices?status=all",
        "/analysis",
    ],
    "contractor": ["/", "/notices", "/inbox", "/analysis"],
}


@contextmanager
def counting():
    seen = []

    def count(connection, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@contextmanager
def loads_of(model):
    """The instances of `model` the ORM loads inside the block."""
    loaded = []

    def note(instance, _context):
        loaded.append(instance)

    event.listen(model, "load", note)
    try:
        yield loaded
    finally:
        event.remove(model, "load", note)


def client_of(app, username: str):
    """A client signed in as the demo account, each request its own session as in production."""
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, people()[username], password="demo12345")
    return client


def statements(client, page: str) -> int:
    with counting() as seen:
        assert client.get(page).status_code == 200, page
    return len(seen)


def page_counts(app) -> dict[str, int]:
    counts = {}
    for username, pages in PAGES.items():
        client = client_of(app, username)
        for page in pages:
            counts[f"{username} {page}"] = statements(client, page)
    return counts


def people() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(sa.select(User))}


def place(code: str) -> Site:
    return db.session.scalar(sa.select(Site).where(Site.code == code))


def line(code: str) -> ServiceLine:
    return db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == code))


# places in different rooms, floors and buildings: each has a path of its own
PLACES = ("B1-F1-LOBBY", "B1-F1-WC", "B1-F3-WC", "B2-F2-WC")


def checked(inspector, site, service_line, failures: int = 1, photos: int = 1):
    """A submitted strip check failing its first `failures` items, each with `photos` photos
    (the same picture every time: each after the first is marked as used before)."""
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=service_line), inspector)
    for n, item in enumerate(inspection.items):
        if n < failures:
            record_answer(item, Answer.FAIL, inspector)
            record_note(item, "地面有水渍", inspector)
            for _ in range(photos):
                attach_photo(item, jpeg(), inspector)
        else:
            record_answer(item, Answer.PASS, inspector)
    submit(inspection, inspector)
    return inspection


def issued_notice(inspector, lobby, cleaning):
    (notice,) = draft_notices(checked(inspector, lobby, cleaning), inspector)
    issue(notice, inspector)
    return notice


def more_of_everything(n: int) -> None:
    """n more drafts (each at the next place), notices with a fix to verify, overdue and draft
    notices, complaints, patrol plans and contractors."""
    users = people()
    inspector, contractor = users["inspector"], users["contractor"]
    cleaning, lobby = line("CLN"), place("B1-F1-LOBBY")
    for _ in range(n):
        drafts = db.session.scalar(
            sa.select(sa.func.count(Inspection.id)).where(Inspection.status == Status.DRAFT)
        )
        here = place(PLACES[drafts % len(PLACES)])
        start_inspection(Plan(Scope.STRIP, here, service_line=cleaning), inspector)
        fixed = issued_notice(inspector, lobby, cleaning)
        acknowledge(fixed, contractor)
        report_fix(fixed.items[0], contractor, "已拖干", [jpeg()])
        late = issued_notice(inspector, lobby, cleaning)
        for item in late.items:
            item.deadline = utcnow() - timedelta(hours=1)
        draft_notices(checked(inspector, here, cleaning), inspector)
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
        factories.contractor(service_lines=[line("GRN")])  # a row more on the month's sheets
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


def fixed_notice(places, failures: int, photos: int):
    """An acknowledged notice of the findings of a check at each place, each fix reported with
    `photos` photos (the same picture: each marked as used before), the first fix accepted."""
    users = people()
    inspector, manager, contractor = users["inspector"], users["manager"], users["contractor"]
    checks = [checked(inspector, place(code), line("CLN"), failures, photos) for code in places]
    (notice,) = draft_notices(checks[0], manager)
    for other in checks[1:]:
        for finding in other.findings:
            add_finding(notice, finding, manager)
    issue(notice, manager)
    acknowledge(notice, contractor)
    for item in notice.items:
        report_fix(item, contractor, "已拖干", [jpeg()] * photos)
    accept_fix(notice.items[0], inspector)
    db.session.commit()
    return notice


def investigated_complaint(photos: int, rounds: int):
    """A complaint filed with photos and investigated in `rounds` rounds, each with photos."""
    users = people()
    complaint, _token = file_complaint(
        ComplaintChannel.ONLINE, "门岗不让进", "访客被拦", photos=[jpeg()] * photos
    )
    accept(complaint, users["manager"])
    for n in range(rounds):
        add_evidence(complaint, users["inspector"], f"调取监控{n}", [jpeg()] * photos)
    db.session.commit()
    return complaint


def assert_same_counts(app, usernames, pages) -> None:
    """Each user opens the page of a small record, then that of a large one."""
    for username in usernames:
        client = client_of(app, username)
        counts = [statements(client, page) for page in pages]
        assert len(set(counts)) == 1, f"{username}: statements grew with the rows: {counts}"


def test_a_notice_runs_as_many_statements_with_more_findings_places_photos_and_fixes(app):
    seed_demo(history=False)
    small = fixed_notice(PLACES[:1], failures=2, photos=1)
    large = fixed_notice(PLACES, failures=3, photos=3)
    pages = [f"/notices/{small.id}", f"/notices/{large.id}"]
    assert_same_counts(app, ["manager", "inspector", "contractor"], pages)


def test_a_report_runs_as_many_statements_with_more_findings_photos_and_history(app):
    seed_demo(history=False)
    users = people()
    small = checked(users["inspector"], place("B1-F1-LOBBY"), line("CLN"), failures=1, photos=1)
    large = checked(users["inspector"], place("B1-F1-WC"), line("CLN"), failures=6, photos=3)
    db.session.commit()
    reopen(large, users["manager"], "补充照片")
    db.session.commit()
    submit(large, users["inspector"])
    for inspection in (small, large):
        draft_notices(inspection, users["manager"])
    db.session.commit()
    pages = [f"/inspections/{small.id}", f"/inspections/{large.id}"]
    assert_same_counts(app, ["manager", "inspector"], pages)


def test_a_complaint_runs_as_many_statements_with_more_photos_and_history(app):
    seed_demo(history=False)
    small, large = investigated_complaint(1, rounds=1), investigated_complaint(3, rounds=3)
    assert_same_counts(app, ["manager"], [f"/complaints/{small.id}", f"/complaints/{large.id}"])


def test_a_contractor_runs_as_many_statements_with_more_places_staff_and_certificates(app):
    seed_demo(history=False)
    company = people()["contractor"].contractor
    client = client_of(app, "manager")
    before = statements(client, f"/contractors/{company.id}")
    company.sites.extend(place(code) for code in PLACES)
    for n in range(3):
        member = factories.staff_member(company)
        factories.certificate(member, expires_in_days=-n)
        factories.certificate(member, "上岗证", expires_in_days=30 * n)
    db.session.commit()
    assert statements(client, f"/contractors/{company.id}") == before


def test_a_plan_runs_as_many_statements_with_more_stops_and_visits(app):
    seed_demo(history=False)
    users = people()
    plan = factories.plan(
        "加测路线", [place(PLACES[0])], [users["inspector"]], local_today() - timedelta(days=3)
    )
    points = plan_check_points(Plan(Scope.STRIP, place(PLACES[0]), service_line=line("CLN")))
    plan.service_line = line("CLN")
    plan.stops[0].check_points = points[:2]
    db.session.commit()
    client = client_of(app, "manager")
    before = statements(client, f"/plans/{plan.id}")
    for n, code in enumerate(PLACES[1:], start=2):
        plan.stops.append(PlanStop(site=place(code), position=n, check_points=points[:n]))
    db.session.commit()
    assert statements(client, f"/plans/{plan.id}") == before


def reads_of(table: str, seen: list[str]) -> int:
    return sum(f"FROM {table}" in statement for statement in seen)


def test_the_rules_are_read_once_a_request_however_often_asked(app):
    """Rules not yet saved are no row the session keeps, so each read was a statement: the
    month's pages read the assessment rules for every contractor's line, and a photo sent from
    the checklist read the evidence rules to mark it, then again for its card's camera."""
    seed_demo(history=False)
    more_of_everything(1)
    manager = client_of(app, "manager")
    for page in MONTH_PAGES:
        with counting() as seen:
            assert manager.get(page).status_code == 200, page
        assert reads_of("assessment_policy", seen) == 1, page
    inspector = people()["inspector"]
    draft = start_inspection(
        Plan(Scope.STRIP, place(PLACES[0]), service_line=line("CLN")), inspector
    )
    record_answer(draft.items[0], Answer.FAIL, inspector)
    db.session.commit()
    phone = client_of(app, "inspector")
    with counting() as seen:
        sent = phone.post(
            f"/inspections/{draft.id}/items/{draft.items[0].id}/photos",
            data={"photo": (io.BytesIO(jpeg()), "photo.jpg")},
            headers={"HX-Request": "true"},
        )
    assert sent.status_code == 200 and 'capture="environment"' in sent.text
    assert reads_of("evidence_policy", seen) == 1


def test_a_tap_runs_four_statements_and_a_changed_answer_six(app):
    """An item's first answer: the user, one check (the item is in a draft the user is on),
    the history row (skipped for a replay), the item's answer; the phone already shows it, so
    no card comes back. A changed answer also reads what the card shows, and no more: the item
    with its contractor, photos and answer history and the checklist's counts for the progress
    bar, in one statement, and on a failed item's form for photos the managers' evidence
    rules (camera or gallery); not the inspection, its inspectors or its items, nor the user
    again."""
    inspector, draft = demo_draft_at_the_lobby()
    item = draft.items[0]  # loaded here: the counting below sees only the taps' statements
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, inspector, password="demo12345")
    counts = []
    for n, answer in enumerate(("pass", "fail", "na")):
        with counting() as seen:
            tapped = tap(client, item, answer, n)
        assert tapped.status_code == 200
        counts.append(len(seen))
    assert counts == [4, 6, 5]  # pass, fail (with its failure section), na


def test_the_bulletin_runs_as_many_statements_with_a_record_in_every_month_of_its_trend(app):
    """The draft bulletin plots six months of scores: assessed together, the earlier months
    cost the same statements whether or not they have records (each was assessed on its
    own, about nine statements a month)."""
    seed_demo(history=False)
    more_of_everything(1)
    manager = client_of(app, "manager")
    before = statements(manager, f"/bulletins/{THIS_MONTH}")
    users = people()
    for back in range(1, 6):
        earlier = checked(users["inspector"], place(PLACES[back % 4]), line("CLN"), failures=2)
        then = month_bounds(shift_month(THIS_MONTH, -back))[0] + timedelta(days=2)
        earlier.started_at = then
        for finding in earlier.findings:
            finding.found_at = then
        (notice,) = draft_notices(earlier, users["manager"])
        issue(notice, users["manager"])
        notice.overdue_at = then + timedelta(days=5)
    db.session.commit()
    assert statements(manager, f"/bulletins/{THIS_MONTH}") == before


def test_the_month_page_reads_the_active_contractors_once_and_analysis_every_place_once(app):
    """The month's scores and the page's forms each read the active contractors (the
    navigation only counts the contracts ending, in its own statement); the analysis's choice
    of places and its figures by place each read every place."""
    seed_demo(history=False)
    more_of_everything(1)
    manager = client_of(app, "manager")
    for page, table, where in (
        (f"/assessments/{THIS_MONTH}", "contractors", "WHERE contractors.active"),
        (f"/bulletins/{THIS_MONTH}", "contractors", "WHERE contractors.active"),
        ("/analysis", "sites", None),
    ):
        with counting() as seen:
            assert manager.get(page).status_code == 200, page
        flat = [" ".join(statement.split()) for statement in seen]
        whole = [
            s
            for s in flat
            if s.startswith(f"SELECT {table}.")
            and f"FROM {table}" in s
            and (where in s if where else f"FROM {table} WHERE" not in s)
        ]
        assert len(whole) == 1, (page, whole)


def test_the_overdue_tab_reads_only_the_overdue_notices(app):
    """The overdue notices are chosen in SQL, not by loading every open notice and its items
    and looking at their deadlines."""
    seed_demo(history=False)
    more_of_everything(3)
    now = utcnow()
    overdue = {n.id for n in db.session.scalars(sa.select(Notice)) if n.is_overdue(now)}
    still_open = db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(
            Notice.status.in_((NoticeStatus.ISSUED, NoticeStatus.ACKNOWLEDGED))
        )
    )
    assert overdue and still_open > len(overdue)
    manager = client_of(app, "manager")
    with loads_of(Notice) as notices:
        listed = manager.get("/notices?status=overdue", headers={"HX-Request": "true"})
    loaded = [notice.id for notice in notices]
    assert listed.status_code == 200
    assert set(loaded) == overdue


# the tables of what waits for a user, which only the home page's queue loads rows of
WAITING = ("certificates", "notices", "exit_warnings", "complaints", "plan_stops", "surveys")


def test_the_navigation_counts_what_waits_in_one_statement_but_on_the_home_page(app):
    """Every page's navigation shows how many notices, drafts, visits, complaints and expired
    certificates wait. Off the home page they are counted in one statement (and the bureau's
    people's plans read, to see which visits are open), instead of loading the user's whole
    queue for its lengths: certificates with their staff, drafts with their places, notices
    with their items, today's visits with their inspections. The home page loads the queue
    and its navigation counts from it: nothing counted twice."""
    seed_demo(history=False)
    more_of_everything(1)
    draft = start_inspection(
        Plan(Scope.STRIP, place(PLACES[0]), service_line=line("CLN")), people()["inspector"]
    )
    db.session.commit()
    for username, page, statements_counting, plans_read in (
        ("inspector", f"/inspections/{draft.id}/run", 1, 1),
        ("manager", "/catalog", 1, 1),
        ("contractor", "/catalog", 1, 0),  # a contractor's users have no plans
        ("manager", "/", 0, 1),
    ):
        client = client_of(app, username)
        with counting() as seen:
            assert client.get(page).status_code == 200, page
        counting_waiting = [s for s in seen if "AS notices_waiting" in s]
        assert len(counting_waiting) == statements_counting, (username, page)
        reading_waiting = [s for s in seen if any(f"FROM {table}" in s for table in WAITING)]
        if statements_counting:
            assert reading_waiting == counting_waiting, (username, page)
        assert reads_of("inspection_plans", seen) == plans_read, (username, page)


def test_the_checklist_runs_as_many_statements_for_more_items_answers_photos_and_history(app):
    """A checklist's cards show each item's photos and answer history: a strip check of a
    few items with one answered, then a block check with more, each item failed with a photo,
    then passed."""
    seed_demo(history=False)
    inspector = people()["inspector"]
    lobby = place(PLACES[0])
    small = start_inspection(Plan(Scope.STRIP, lobby, service_line=line("CLN")), inspector)
    large = start_inspection(
        Plan(Scope.BLOCK, lobby, contractor=people()["contractor"].contractor), inspector
    )
    assert len(large.items) > len(small.items)
    for item in [small.items[0], *large.items]:
        record_answer(item, Answer.FAIL, inspector)
        record_note(item, "地面有水渍", inspector)
        attach_photo(item, jpeg(), inspector)
        record_answer(item, Answer.PASS, inspector)
    db.session.commit()
    pages = [f"/inspections/{small.id}/run", f"/inspections/{large.id}/run"]
    assert_same_counts(app, ["inspector"], pages)


def test_the_checklist_looks_for_documents_only_on_an_outside_bodys_check(app):
    """Only an outside body's check has documents (its report, its scores): the checklist of
    any other does not look for them."""
    seed_demo(history=False)
    inspector = people()["inspector"]
    draft = start_inspection(
        Plan(Scope.BLOCK, place(PLACES[0]), contractor=people()["contractor"].contractor),
        inspector,
    )
    db.session.commit()
    assert draft.external_body is None
    client = client_of(app, "inspector")
    with counting() as seen:
        assert client.get(f"/inspections/{draft.id}/run").status_code == 200
    assert reads_of("external_documents", seen) == 0


def test_a_guest_checklist_runs_as_many_statements_for_more_items_answers_photos_and_history(app):
    """An external checker's checklist on a guest link shows the same cards as an inspector's:
    a strip check of a few items with one answered, then a block check with more."""
    seed_demo(history=False)
    manager = people()["manager"]
    lobby = place(PLACES[0])
    plans = (
        Plan(Scope.STRIP, lobby, service_line=line("CLN")),
        Plan(Scope.BLOCK, lobby, contractor=people()["contractor"].contractor),
    )
    pages = []
    for plan, answered in zip(plans, (1, None), strict=True):
        check = start_external(plan, manager, ExternalBody.FIRE, "消防支队")
        grant, token = issue_guest_pass(check, manager, "检查员", 2)
        for item in check.items[:answered]:
            record_answer(item, Answer.FAIL, grant.guest)
            record_note(item, "地面有水渍", grant.guest)
            attach_photo(item, jpeg(), grant.guest)
            record_answer(item, Answer.PASS, grant.guest)
        pages.append(f"/guest/{token}")
    db.session.commit()
    app.test_client_class = IsolatedClient
    counts = [statements(app.test_client(), page) for page in pages]
    assert len(set(counts)) == 1, f"statements grew with the rows: {counts}"


def test_the_administrators_pages_find_locked_accounts_in_one_statement_however_many(app):
    """The users' list marks each locked account, and every page's badge counts them: as many
    statements with more accounts, more of them locked."""
    seed_demo(history=False)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    pages = ["/admin/users", "/", "/notices"]
    client = client_of(app, "admin")
    before = [statements(client, page) for page in pages]
    for n in range(4):
        factories.user(Role.INSPECTOR, None, f"patrol{n}", password="demo12345")
        for _ in range(limit if n % 2 else 1):
            record_attempt(f"patrol{n}", "10.0.0.3", False)
    db.session.commit()
    assert [statements(client, page) for page in pages] == before
    assert client.get("/admin/users").text.count("登录失败已锁定") == 2


def test_the_administrators_pages_load_the_locked_accounts_not_every_account(app):
    """The badge on every page counts locked accounts in the database, and the home page's
    queue loads only those: a bureau has hundreds of accounts, a few locked."""
    seed_demo(history=False)
    for n in range(30):
        factories.user(Role.INSPECTOR, None, f"patrol{n}", password="demo12345")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        record_attempt("patrol7", "10.0.0.3", False)
    db.session.commit()
    client = client_of(app, "admin")
    for page, may_load in (("/", {"admin", "patrol7"}), ("/notices", {"admin"})):
        with loads_of(User) as users:
            answer = client.get(page)
        loaded = {user.username for user in users}
        assert answer.status_code == 200 and loaded <= may_load, (page, loaded)
    home = client.get("/").text
    assert "patrol7" in home and "patrol8" not in home
