"""Benchmark: what one tap costs the server, alone and with 50 inspectors at once, against a
bare one-row write on the same server.

Run on demand (never in the test suite):

    .venv/bin/python bench/answer_save.py [--database sqlite|postgresql] [--inspectors 50]
        [--seconds 30] [--taps 300] [--drafts 50]

It builds a throwaway instance with the demo (as bench/load_faults.py does, without faults),
gives each inspector `--drafts` more drafts so that taps answer items once, in turn, as on a
real round, serves it with gunicorn sync workers and measures:

1. one inspector alone saving `--taps` answers one after another (what one tap costs), then
   as many bare writes (the least any request that writes can cost on this server), then as
   many bare requests that only answer "ok" (what any signed-in request costs before it does
   anything: the connection, gunicorn, Flask, the session and its user, headers, log line);
2. `--inspectors` inspectors saving answers at once, as fast as the server answers them;
3. the same sessions posting to a bare route that inserts one row and commits, through the same
   middleware (session, user, CSRF, security headers, log line);
4. the same inspectors opening their checklist page (the cleaning line at a lobby, its items
   counted in the output) at once, as a phone does on every visit;
5. the same with a long page: each inspector's block check of one contractor's every line at
   that lobby (issue 35: a 60-item page at most 3 times a 12-item one).

It prints p50/p95 and requests per second, and the answer saves' and checklist pages'
throughput as a share of the bare write's (issue 35: at least 0.6 and 0.3). The load generator
runs on the same two cores, so it also prints the workers' processor time a request in each
phase with many inspectors, and the same shares by that measure: what the server spends,
steadier than throughput on a shared machine (on PostgreSQL the database's own time is not in
it).
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import (  # noqa: E402
    Inspector,
    Server,
    free_port,
    median_and_p95,
    prepare,
    run_together,
    throwaway_instance,
)

# (inspection, item) of every unanswered item each inspector has, taken in turn: an item is
# answered once, as on a real round, and only after the last one do answers change.
ITEMS: dict[str, list[tuple[int, int]]] = {}
TAPPED: dict[str, int] = {}  # how many taps each inspector has made
BLOCK_CHECKS: dict[str, tuple[int, int]] = {}  # each inspector's block check: (id, items)
# Each phase with many inspectors at once: the workers' processor time a request, in ms. The
# load generator shares this machine's two cores; this is what the server alone spent.
WORKER_CPU: dict[str, float] = {}


def more_drafts(app, people: list[Inspector], drafts: int) -> None:
    from app.auth.models import User
    from app.catalog.models import Contractor, ServiceLine, Site
    from app.core.extensions import db
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Scope

    with app.app_context():
        line = db.session.query(ServiceLine).filter_by(code="CLN").one()
        site = db.session.query(Site).filter_by(code="B1-F1-LOBBY").one()
        contractor = db.session.query(Contractor).order_by(Contractor.id).first()
        for person in people:
            ITEMS[person.username] = [(person.inspection_id, i) for i in person.item_ids]
            TAPPED[person.username] = 0
            user = db.session.query(User).filter_by(username=person.username).one()
            block = start_inspection(Plan(Scope.BLOCK, site, contractor=contractor), user)
            db.session.flush()
            BLOCK_CHECKS[person.username] = (block.id, len(block.items))
            for _ in range(drafts):
                draft = start_inspection(Plan(Scope.STRIP, site, service_line=line), user)
                db.session.flush()
                ITEMS[person.username] += [(draft.id, item.id) for item in draft.items]
        db.session.commit()


def tap(person: Inspector, base: str, step: int) -> float:
    items = ITEMS[person.username]
    inspection_id, item_id = items[TAPPED[person.username] % len(items)]
    TAPPED[person.username] += 1
    fields = {
        "answer": ("pass", "fail", "na")[step % 3],
        "client_uuid": str(uuid.uuid4()),
        "answered_at_ms": str(int(time.time() * 1000)),
    }
    url = f"{base}/inspections/{inspection_id}/items/{item_id}/answer"
    return timed(person, url, urllib.parse.urlencode(fields).encode())


def open_checklist(person: Inspector, base: str, step: int) -> float:
    """The whole page, as a phone opens it (not an htmx request)."""
    return opened(person, f"{base}/inspections/{person.inspection_id}/run")


def open_block_checklist(person: Inspector, base: str, step: int) -> float:
    """The inspector's block check of every line of a contractor at the lobby: a long page."""
    return opened(person, f"{base}/inspections/{BLOCK_CHECKS[person.username][0]}/run")


def opened(person: Inspector, url: str) -> float:
    began = time.perf_counter()
    if not person.call(url):
        sys.exit(f"{url} did not answer 200")
    return (time.perf_counter() - began) * 1000


def bare_write(person: Inspector, base: str, step: int) -> float:
    return timed(person, f"{base}/bench/write", b"")


def bare_request(person: Inspector, base: str, step: int) -> float:
    return timed(person, f"{base}/bench/bare", None)


def timed(person: Inspector, url: str, body: bytes | None) -> float:
    headers = {"HX-Request": "true", "X-CSRFToken": person.token}
    began = time.perf_counter()
    if not person.call(url, body, headers):
        sys.exit(f"{url} did not answer 200")
    return (time.perf_counter() - began) * 1000


def together(people: list[Inspector], base: str, action, seconds: float) -> list[float]:
    times: list[float] = []
    until = time.monotonic() + seconds

    def loop(person):
        step = 0
        while time.monotonic() < until:
            times.append(action(person, base, step))
            step += 1

    run_together([threading.Thread(target=loop, args=(p,)) for p in people])
    return times


def row(name: str, times: list[float], seconds: float | None, phase: str = "") -> str:
    median, p95 = median_and_p95(times)
    rate = f"{len(times) / seconds:.0f}" if seconds else "—"
    cpu = f"{WORKER_CPU[phase]:.1f}" if phase else "—"
    return f"| {name} | {median:.1f} | {p95:.1f} | {rate} | {cpu} |"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--taps", type=int, default=300)
    parser.add_argument("--drafts", type=int, default=50, help="more drafts per inspector")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="xunjian-taps-") as tmp:
        instance = Path(tmp)
        postgres, env = throwaway_instance(instance, args.database)
        os.environ.update(env)
        from app.core.extensions import db
        from bench.app import app, bench_writes

        server = Server(free_port(), args.workers, env, instance / "server.log")
        try:
            people = prepare(app, args.inspectors)
            more_drafts(app, people, args.drafts)
            with app.app_context():
                bench_writes.create(db.engine)
            server.start()
            base = f"http://127.0.0.1:{server.port}"
            for person in people:
                person.login(base)
            alone = people[0]
            for step in range(args.workers * 4):  # every worker warm
                tap(alone, base, step)
            times = {
                "taps": [tap(alone, base, step) for step in range(args.taps)],
                "writes alone": [bare_write(alone, base, step) for step in range(args.taps)],
                "bare alone": [bare_request(alone, base, step) for step in range(args.taps)],
            }
            for name, action in (
                ("answers", tap),
                ("writes", bare_write),
                ("pages", open_checklist),
                ("long pages", open_block_checklist),
            ):
                used = server.workers_cpu_seconds()
                times[name] = together(people, base, action, args.seconds)
                WORKER_CPU[name] = (server.workers_cpu_seconds() - used) * 1000 / len(times[name])
        finally:
            server.stop()
            if postgres:
                postgres.crash()
    report(args, people, times)


def report(args: argparse.Namespace, people: list[Inspector], times: dict) -> None:
    answers, writes, pages, long_pages = (
        times[name] for name in ("answers", "writes", "pages", "long pages")
    )
    print(f"\n{args.database}, gunicorn {args.workers} sync workers, demo data\n")
    print("| requests | p50 ms | p95 ms | per s | worker CPU ms |\n|---|---|---|---|---|")
    print(row("one tap, one inspector alone", times["taps"], None))
    print(row("bare one-row write, one inspector alone", times["writes alone"], None))
    print(row("bare request (answers ok), one inspector alone", times["bare alone"], None))
    print(row(f"save answer, {len(people)} inspectors at once", answers, args.seconds, "answers"))
    print(row(f"bare one-row write, {len(people)} at once", writes, args.seconds, "writes"))
    items = len(people[0].item_ids)
    pages_name = f"checklist page ({items} items), {len(people)} at once"
    print(row(pages_name, pages, args.seconds, "pages"))
    long_items = BLOCK_CHECKS[people[0].username][1]
    long_name = f"checklist page ({long_items} items), {len(people)} at once"
    print(row(long_name, long_pages, args.seconds, "long pages"))
    print(f"\nanswer saves per second ÷ bare writes per second: {len(answers) / len(writes):.2f}")
    print(f"checklist pages per second ÷ bare writes per second: {len(pages) / len(writes):.2f}")
    shares = (WORKER_CPU["writes"] / WORKER_CPU[name] for name in ("answers", "pages"))
    print(
        "the same in the workers' processor time a request (bare write's ÷ each's): "
        + ", ".join(f"{share:.2f}" for share in shares)
    )
    print(
        f"a {long_items}-item page costs {len(pages) / len(long_pages):.2f} times "
        f"a {items}-item page (pages per second, in inverse ratio)"
    )
    changed = sum(max(0, TAPPED[name] - len(items)) for name, items in ITEMS.items())
    if changed:
        print(f"{changed} taps changed an answer (more than --drafts gives): those bring the card")


if __name__ == "__main__":
    main()
