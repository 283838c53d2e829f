"""Several app servers: two gunicorn instances, each with its own instance folder, on one
PostgreSQL and one object store (a real S3 API server), as behind nginx with two upstreams.
What one server stores or counts, the other sees."""

import re
import time
from collections import Counter

import pytest
import requests
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app.core.extensions import db
from app.core.photos import read_photo
from app.feedback.models import Complaint
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import InspectionPhoto, Scope
from tests.conftest import use_store
from tests.helpers import PASSWORD, ServerProcess, jpeg, server_environment
from tests.jobs.test_worker import messages, pending, robots, start_worker, stop, wait_for  # noqa: F401

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


@pytest.fixture(scope="module")
def running_servers(database_url, object_store, tmp_path_factory):
    """Two servers for the module's tests, started side by side once: each test empties the
    database they share, and a server keeps nothing of its own between requests but the
    checklists it rendered, each for the session it was rendered for."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several servers share PostgreSQL; SQLite is one machine's database")
    folder = tmp_path_factory.mktemp("servers")
    store = object_store.settings(f"{folder.name}/shared")
    shared = server_environment(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret", **store}
    )
    started = []
    for name in ("a", "b"):
        instance = folder / f"instance-{name}"
        instance.mkdir()
        environment = {
            **shared,
            "XUNJIAN_INSTANCE_PATH": str(instance),
            "XUNJIAN_UPLOAD_DIR": str(instance / "files"),  # unused: the store is shared
        }
        started.append(ServerProcess(environment, folder / f"access-{name}.log"))
    for server in started:
        server.launch()
    try:
        for server in started:
            server.wait_until_up()
        yield started, store
    finally:
        for server in started:
            server.kill()


@pytest.fixture
def servers(app, running_servers):
    """The two servers, with the test's app on their database and their file store."""
    started, store = running_servers
    use_store(app, store)
    return started


def csrf_token(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page carries a CSRF token"
    return found[1] or found[2]


def log_in(session: requests.Session, form_from: str, post_to: str, username: str):
    token = csrf_token(session.get(f"{form_from}/login").text)
    return session.post(
        f"{post_to}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )


def inspectors_draft(make_user, make_check_point, make_site):
    """An inspector, and a strip check of theirs of one check point, committed."""
    inspector = make_user("inspector")
    point = make_check_point()
    draft = start_inspection(
        Plan(Scope.STRIP, make_site(), service_line=point.category.service_line), inspector
    )
    db.session.commit()
    return inspector, draft


def test_a_photo_a_session_and_its_form_token_work_on_either_server(
    app, servers, make_user, make_check_point, make_site
):
    a, b = servers
    inspector, draft = inspectors_draft(make_user, make_check_point, make_site)
    item = draft.items[0]

    phone = requests.Session()
    logged_in = log_in(phone, form_from=a.url, post_to=b.url, username=inspector.username)
    assert logged_in.status_code == 302 and "/login" not in logged_in.headers["Location"]
    checklist = phone.get(f"{a.url}/inspections/{draft.id}/run")
    assert checklist.status_code == 200 and checklist.url.endswith("/run")

    sent = phone.post(
        f"{a.url}/inspections/{draft.id}/items/{item.id}/photos",
        data={"csrf_token": csrf_token(checklist.text)},
        files={"photo": ("site.jpg", jpeg(), "image/jpeg")},
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 200, sent.text[:300]
    photo = db.session.scalar(sa.select(InspectionPhoto).where(InspectionPhoto.item_id == item.id))
    assert photo is not None

    assert photo.stamped_digest, "the photo got its stamped copy"
    for server in (b, a):
        whole = phone.get(f"{server.url}/inspections/photos/{photo.id}")
        assert whole.status_code == 200 and whole.content == read_photo(photo.stamped_digest)
        thumb = phone.get(f"{server.url}/inspections/photos/{photo.id}?size=thumb")
        assert thumb.content == read_photo(photo.stamped_digest, thumb=True)
        original = phone.get(f"{server.url}/inspections/photos/{photo.id}/original")
        assert original.status_code == 200 and original.content == read_photo(photo.digest)
    assert requests.get(f"{b.url}/inspections/photos/{photo.id}").url.endswith(
        f"/login?next=%2Finspections%2Fphotos%2F{photo.id}"
    ), "a stranger is sent to log in, on either server"


def test_a_tap_through_one_server_shows_at_once_on_the_others_kept_checklist(
    app, servers, make_user, make_check_point, make_site
):
    """Each server keeps the checklists it rendered, by the inspection's revision in the
    database they share: a tap through one server moves it, and the other renders anew."""
    a, b = servers
    inspector, draft = inspectors_draft(make_user, make_check_point, make_site)
    item = draft.items[0]
    phone = requests.Session()
    log_in(phone, form_from=a.url, post_to=a.url, username=inspector.username)
    run = f"/inspections/{draft.id}/run"
    passed = 'value="pass" aria-pressed="true"'
    for _ in range(2):  # rendered, then kept
        page = phone.get(f"{a.url}{run}")
        assert page.status_code == 200 and passed not in page.text
    tapped = phone.post(
        f"{b.url}/inspections/{draft.id}/items/{item.id}/answer",
        data={"answer": "pass"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(page.text)},
    )
    assert tapped.status_code == 200
    assert passed in phone.get(f"{a.url}{run}").text


def test_login_throttling_counts_failures_on_both_servers(app, servers, make_user):
    a, b = servers
    user = make_user("manager")
    failures = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    guesser = requests.Session()
    for attempt in range(failures):
        server = (a, b)[attempt % 2]
        token = csrf_token(guesser.get(f"{server.url}/login").text)
        wrong = guesser.post(
            f"{server.url}/login",
            data={"username": user.username, "password": "wrong-guess", "csrf_token": token},
            allow_redirects=False,
        )
        assert wrong.status_code in (200, 422, 429), wrong.status_code
    for server in (a, b):
        owner = requests.Session()
        locked = log_in(owner, form_from=server.url, post_to=server.url, username=user.username)
        assert locked.status_code == 429, f"{server.url} knows of the other's failures"


def test_the_public_complaint_limit_counts_on_both_servers(app, servers, make_site):
    a, b = servers
    stamps = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="public-form")
    answers = []
    for n in range(6):
        server = (a, b)[n % 2]
        visitor = requests.Session()
        token = csrf_token(visitor.get(f"{server.url}/feedback/complaint").text)
        answers.append(
            visitor.post(
                f"{server.url}/feedback/complaint",
                data={
                    "subject": f"走廊灯不亮 {n}",
                    "description": "三楼走廊的灯坏了一周。",
                    "location": "办公楼三楼",
                    "contact": "",
                    "stamp": stamps.dumps(time.time() - 30),
                    "website": "",
                    "csrf_token": token,
                },
            ).status_code
        )
    assert answers == [200] * 5 + [429], "five an hour from one network, wherever they land"
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 5


def test_a_worker_beside_each_server_sends_every_message_once(
    app,
    servers,
    make_contractor,
    robots,  # noqa: F811
):
    total = messages(make_contractor, robots, groups=6, per_group=10)
    workers = [start_worker(app, robots, server.env) for server in servers]
    try:
        assert wait_for(lambda: pending() == 0, 120), "the two workers together sent everything"
    finally:
        codes = [stop(worker) for worker in workers]
    assert codes == [0, 0]
    received = Counter(robots.texts())
    assert len(received) == total and set(received.values()) == {1}
