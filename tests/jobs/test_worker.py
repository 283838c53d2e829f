"""The worker as it runs in production, a process of its own: killed mid-batch it loses nothing,
and two at once on PostgreSQL send every message exactly once."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.extensions import db
from app.notify.events import announce
from app.notify.models import Channel, Delivery, DeliveryStatus, EventKind, Robot
from tests.helpers import server_environment
from tests.robot_server import RobotServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def robots():
    with RobotServer(pace_per_minute=1000, delay=0.1) as server:
        yield server


def start_worker(app, robots, environment: dict[str, str] | None = None) -> subprocess.Popen:
    """`flask worker` on the app's database and store (or the environment given)."""
    env = {
        **os.environ,
        **(environment or server_environment(app.config)),
        "XUNJIAN_ROBOT_HOSTS": robots.host,
        "XUNJIAN_NOTIFY_LEASE_SECONDS": "2",
        "XUNJIAN_WORKER_PAUSE_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def messages(make_contractor, robots, groups: int, per_group: int) -> int:
    """`per_group` bulletin messages to each of `groups` contractor robots; how many in all."""
    for group in range(groups):
        company = make_contractor()
        token = f"group{group}"
        robots.secrets[token] = ""
        db.session.add(
            Robot(
                contractor_id=company.id,
                service=Channel.WECOM,
                name=token,
                webhook=robots.url("wecom", token),
            )
        )
        db.session.flush()
        for n in range(per_group):
            announce(
                EventKind.BULLETIN_PUBLISHED,
                {"month": f"{group}-{n}"},
                "/bulletins",
                users=[],
                robots_of=[company.id],
            )
    db.session.commit()
    return groups * per_group


def pending() -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count(Delivery.id)).where(Delivery.status != DeliveryStatus.SENT)
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def stop(worker: subprocess.Popen) -> int:
    worker.send_signal(signal.SIGTERM)
    return worker.wait(timeout=30)


def test_a_worker_killed_mid_batch_loses_nothing(app, make_contractor, robots):
    total = messages(make_contractor, robots, groups=3, per_group=10)
    worker = start_worker(app, robots)
    try:
        assert wait_for(lambda: len(robots.texts()) >= 5, 60), "the worker started sending"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert pending() > 0, "killed with messages in hand"

    worker = start_worker(app, robots)
    try:
        assert wait_for(lambda: pending() == 0, 90), "the next worker sent the rest"
    finally:
        assert stop(worker) == 0, "SIGTERM stops it cleanly"
    received = Counter(robots.texts())
    assert len(received) == total, "every message arrived"
    assert sum(received.values()) - total <= 1, "at most the one in flight twice"


def test_a_message_that_fails_oddly_is_retried_while_the_worker_sends_the_rest(
    app, make_contractor, robots
):
    total = messages(make_contractor, robots, groups=3, per_group=5)
    robots.raw_answers["group0"] = ("application/json", b"[" * 100_000 + b"]" * 100_000)
    worker = start_worker(app, robots)
    try:
        assert wait_for(lambda: len(robots.texts()) == total - 5, 60), "the others went"
        assert wait_for(lambda: tried() == 5, 30), "each odd one failed on its own"
    finally:
        assert stop(worker) == 0
    for delivery in db.session.scalars(sa.select(Delivery).where(Delivery.attempts > 0)):
        assert delivery.status == DeliveryStatus.PENDING and "RecursionError" in delivery.last_error


def tried() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(Delivery.attempts > 0))


def test_two_workers_on_postgresql_send_each_message_exactly_once(
    app, database_url, make_contractor, robots
):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one worker runs")
    total = messages(make_contractor, robots, groups=8, per_group=15)
    workers = [start_worker(app, robots), start_worker(app, robots)]
    try:
        assert wait_for(lambda: pending() == 0, 120), "both workers together sent everything"
    finally:
        codes = [stop(worker) for worker in workers]
    assert codes == [0, 0]
    received = Counter(robots.texts())
    assert len(received) == total and set(received.values()) == {1}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_make_run_serves_with_its_worker_and_they_stop_together(app):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        **server_environment(app.config),
    }
    serve = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 30)
        worker = subprocess.run(
            ["pgrep", "-P", str(serve.pid), "-f", "wsgi worker"],
            capture_output=True,
            text=True,
        ).stdout.split()
        assert len(worker) == 1, "the worker runs beside the web server"
        os.kill(int(worker[0]), signal.SIGKILL)
        serve.wait(timeout=30)
        assert not answers(f"http://127.0.0.1:{port}/healthz"), "the web server stopped too"
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
