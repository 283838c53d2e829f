"""Operations: one JSON log line per request with secrets left out, error pages that show
nothing of the internals, and client addresses believed only from a configured proxy."""

import io
import json
import logging

import pytest

from app import create_app
from app.core.logs import REQUEST_LOG
from tests.helpers import login


@pytest.fixture
def logged():
    """What the app's log handlers write, in the same JSON format (ask after the app is made:
    making it sets its handlers)."""
    written = io.StringIO()
    added = []

    def lines() -> list[dict]:
        if not added:
            for name in (REQUEST_LOG, "app"):
                logger = logging.getLogger(name)
                copy = logging.StreamHandler(written)
                copy.setFormatter(logger.handlers[0].formatter)
                logger.addHandler(copy)
                added.append((logger, copy))
        return [json.loads(line) for line in written.getvalue().splitlines()]

    yield lines
    for logger, handler in added:
        logger.removeHandler(handler)


def test_each_request_is_one_json_line_without_the_secret_parts(client, logged, make_user):
    user = make_user()
    login(client, user)
    assert logged() == []
    client.get("/feedback/complaint/the-secret-status-token?from=sms")
    client.get("/s/secret-survey-slug?card=ABCDE23456")
    client.get("/inspections/12345", headers={"X-Request-ID": "abc123"})
    lines = [entry for entry in logged() if entry["message"] == "request"]
    assert [entry["path"] for entry in lines] == [
        "/feedback/complaint/<token>",
        "/s/<slug>",
        "/inspections/12345",
    ]
    text = json.dumps(lines)
    assert "the-secret" not in text and "secret-survey" not in text and "ABCDE" not in text
    last = lines[-1]
    assert last["status"] == 404 and last["method"] == "GET" and last["request_id"] == "abc123"
    assert last["user"] == str(user.id)
    assert last["ms"] >= 0 and last["level"] == "INFO" and last["time"]
    client.post("/logout")
    client.get("/login")
    assert logged()[-1]["user"] is None


@pytest.fixture
def production_app(app_config):
    """As served: exceptions become the error page instead of reaching the test."""
    app = create_app({**app_config, "TESTING": False})

    @app.get("/boom/<token>")
    def boom(token):
        raise RuntimeError("password=hunter2 in postgresql://db.internal")

    return app


def test_an_unexpected_error_shows_a_plain_page_and_is_logged_whole(production_app, logged):
    logged()
    response = production_app.test_client().get("/boom/secret-link")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    for leak in ("hunter2", "db.internal", "Traceback", "RuntimeError", "secret-link"):
        assert leak not in page
    reference = response.headers["X-Request-ID"]
    assert reference in page, "the page gives the reference the log is found by"
    error = next(entry for entry in logged() if entry["level"] == "ERROR")
    assert error["request_id"] == reference and "hunter2" in error["exc_info"]
    assert error["path"] == "/boom/<token>"


def test_an_unreachable_database_asks_to_try_again_and_is_logged(
    app_config, database_url, logged, tmp_path
):
    """PostgreSQL restarting (or a SQLite file that cannot be opened): a 503 saying so, with
    Retry-After, rather than the generic error page."""
    unreachable = (
        f"postgresql+psycopg://xunjian@/nowhere?host={tmp_path}&port=1"
        if database_url.startswith("postgresql")
        else f"sqlite:///{tmp_path / 'missing-directory' / 'xunjian.db'}"
    )
    app = create_app({**app_config, "TESTING": False, "SQLALCHEMY_DATABASE_URI": unreachable})
    logged()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # a logged-in phone: its user is looked up first
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "稍后" in page and "nowhere" not in page and "OperationalError" not in page
    reference = response.headers["X-Request-ID"]
    assert reference in page
    error = next(entry for entry in logged() if entry["level"] == "ERROR")
    assert error["request_id"] == reference and "OperationalError" in error["exc_info"]


@pytest.mark.parametrize("hops, seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_addresses_are_believed_only_behind_a_configured_proxy(
    app_config, logged, hops, seen
):
    app = create_app({**app_config, "PROXY_HOPS": hops})
    logged()
    app.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    (entry,) = [e for e in logged() if e["message"] == "request"]
    assert entry["address"] == seen
