"""Benchmark: the per-answer save under concurrent inspectors, beside a bare Flask route.

Run on demand (never in the test suite):

    .venv/bin/python bench/answer_save.py --inspectors 20 --seconds 20

It builds a throwaway SQLite instance (or uses XUNJIAN_DATABASE_URL), starts gunicorn with
sync workers on a free local port, logs in one session per simulated inspector, each with its
own draft inspection, and for the given time each inspector taps answers as fast as the server
allows. Then the same clients call a bare route. It prints p50/p95/p99 latency and throughput
for both, and checks that every acknowledged answer is in the database.
"""

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-pass-1"


def prepare(instance: Path, inspectors: int) -> list[tuple[str, int, list[int]]]:
    """Migrate, seed the demo without history, and give each bench user a draft inspection."""
    os.environ.setdefault("XUNJIAN_DATABASE_URL", f"sqlite:///{instance / 'bench.db'}")
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import ServiceLine, Site
    from app.demo import seed_demo
    from app.extensions import db
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Scope

    app = create_app({"SECRET_KEY": "bench", "LOGIN_MAX_FAILURES_PER_ADDRESS": 10**6})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(history=False)
        line = db.session.query(ServiceLine).filter_by(code="CLN").one()
        site = db.session.query(Site).filter_by(code="B1-F1-LOBBY").one()
        work = []
        for n in range(inspectors):
            user = create_user(f"bench{n}", f"压测{n}", Role.INSPECTOR, PASSWORD)
            inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), user)
            db.session.flush()
            work.append((user.username, inspection.id, [item.id for item in inspection.items]))
        db.session.commit()
    return work


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def call(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()

    def login(self, username):
        _, page = self.call("/login")
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        self.call("/login", {"username": username, "password": PASSWORD, "csrf_token": self.token})


def run_phase(clients, action, seconds):
    latencies, errors, stop = [], [], time.monotonic() + seconds
    lock = threading.Lock()

    def worker(index, client):
        n = 0
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                action(index, client, n)
            except Exception as exc:  # a failed request is counted, not fatal
                with lock:
                    errors.append(repr(exc))
            else:
                with lock:
                    latencies.append(time.perf_counter() - began)
            n += 1

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - started


def summary(name, latencies, errors, elapsed):
    qs = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    print(
        f"{name:14} n={len(latencies):6d} errors={len(errors):4d} "
        f"rps={len(latencies) / elapsed:8.1f} p50={qs[49] * 1000:7.1f}ms "
        f"p95={qs[94] * 1000:7.1f}ms p99={qs[98] * 1000:7.1f}ms"
    )
    return qs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inspectors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        work = prepare(instance, args.inspectors)
        port = free_port()
        env = {**os.environ, "XUNJIAN_SECRET_KEY": "bench"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(ROOT),
                "bench.app:app",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            clients = []
            for username, _, _ in work:
                client = Client(base)
                client.login(username)
                clients.append(client)
            acknowledged = {}
            lock = threading.Lock()

            def save_answer(index, client, n):
                _, inspection_id, items = work[index]
                item_id = items[n % len(items)]
                choice = ("pass", "fail", "na")[n % 3]
                status, _ = client.call(
                    f"/inspections/{inspection_id}/items/{item_id}/answer",
                    {"answer": choice},
                    {"HX-Request": "true", "X-CSRFToken": client.token},
                )
                if status == 200:
                    with lock:
                        acknowledged[item_id] = choice

            def bare(index, client, n):
                client.call("/bench/bare")

            print(
                f"{args.inspectors} inspectors, {args.workers} gunicorn sync workers, "
                f"{args.seconds:.0f}s per phase, {os.environ['XUNJIAN_DATABASE_URL'][:30]}…"
            )
            answer_q = summary("answer save", *run_phase(clients, save_answer, args.seconds))
            bare_q = summary("bare route", *run_phase(clients, bare, args.seconds))
            print(
                f"ratio p50 {answer_q[49] / bare_q[49]:.1f}x, p95 {answer_q[94] / bare_q[94]:.1f}x"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        verify(acknowledged)


def verify(acknowledged):
    """Every acknowledged answer's last value is what the database holds."""
    from app import create_app
    from app.extensions import db
    from app.inspections.models import InspectionItem

    app = create_app({"SECRET_KEY": "bench"})
    with app.app_context():
        stored = {
            item.id: item.answer.value
            for item in db.session.query(InspectionItem)
            if item.id in acknowledged
        }
    wrong = [i for i, choice in acknowledged.items() if stored.get(i) != choice]
    print(
        f"acknowledged items: {len(acknowledged)}, missing or different in database: {len(wrong)}"
    )
    if wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
