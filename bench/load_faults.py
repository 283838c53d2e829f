"""Benchmark: inspectors at once against the production server, crashed and restarted mid-run.

Run on demand (never in the test suite), once per database:

    .venv/bin/python bench/load_faults.py --database sqlite --inspectors 50 --seconds 180
    .venv/bin/python bench/load_faults.py --database postgresql --inspectors 50 --seconds 180

Add `--pause 1` for inspectors who look about a second between steps (the default, no pause at
all, is the stress case: the server is saturated and latency is mostly queueing).

It builds a throwaway instance (the full demo with its two months of history; for PostgreSQL
a private cluster with the default, durable settings), serves it with gunicorn sync workers
and logs in one session per simulated inspector, each with a draft inspection. For the given
time every inspector saves answers, uploads phone-sized photos and opens the
inspection list and the home page. Writes carry a client UUID and are resent until answered,
as the phone's outbox does.

A third of the way in the server is killed (SIGKILL, no clean shutdown) and started again; two
thirds in the database is restarted: PostgreSQL is stopped in immediate mode (a crash, recovered
from its WAL) and started again; SQLite lives inside the workers, so they are killed mid-request
and the master starts new ones, which reopen the file and recover its WAL.

Then the same sessions call a bare Flask route on the same server. It prints p50/p95/p99 per
action and its ratio to the bare route, how long each fault was felt, and checks that every
acknowledged answer and photo is in the database (photos with both files readable). It exits
1 if any acknowledged write is missing.
"""

import argparse
import contextlib
import http.client
import http.cookiejar
import io
import itertools
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-pass-1"
RETRY_PAUSE = 0.5  # seconds between resends of an unanswered write
FAULT_WINDOW = 10  # seconds after a fault left out of the steady-state figures
RETRY_GRACE = 60  # seconds after the run a write is still resent before it counts as lost
# What an inspector does, one step after another: mostly taps, a photo now and then.
STEPS = (
    "answer", "answer", "list", "answer", "answer", "home", "answer", "photo", "answer", "list",
)  # fmt: skip
ACTIONS = {
    "answer": "save answer",
    "photo": "upload photo",
    "list": "open inspection list",
    "home": "open home page",
    "bare": "bare Flask route",
}
# A dropped connection, a reset, half an answer: what a killed server looks like to a phone.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


class LocalPostgres:
    """A private PostgreSQL cluster in a temporary directory, durable settings left as shipped."""

    def __init__(self, directory: Path, port: int):
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not binaries:
            sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin, self.dir, self.port = binaries[-1], directory, port
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(directory, "postgres")

    def url(self) -> str:
        return f"postgresql+psycopg://xunjian@/xunjian?host={self.dir}&port={self.port}"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, stdout=subprocess.DEVNULL)

    def create(self) -> None:
        self._run(
            f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "xunjian", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self.start()
        self._run(f"{self.bin}/createdb", "-h", str(self.dir), "-p", str(self.port), "-U",
                  "xunjian", "xunjian")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=''"
        self._run(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log",
                  "-w", "-o", options, "start")  # fmt: skip

    def crash(self) -> None:
        self._run(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop")

    def stop(self) -> None:
        self._run(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "stop")


class Server:
    """gunicorn with sync workers, as the README's production guide runs it."""

    def __init__(self, port: int, workers: int, env: dict, log: Path):
        self.port, self.workers, self.env, self.log = port, workers, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "bench.app:app",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"the server did not start; see {self.log}")

    def kill(self) -> None:
        """Crash the master and every worker at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def kill_workers(self) -> int:
        """Crash the workers mid-request; the master starts new ones."""
        children = self._workers()
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        return len(children)

    def _workers(self) -> list[str]:
        """The master's children: its workers' process ids."""
        return subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()

    def workers_cpu_seconds(self) -> float:
        """The processor time the workers have used so far (user and system): what the server
        spent, apart from the load generator sharing its machine."""
        ticks = 0
        for pid in self._workers():
            with contextlib.suppress(FileNotFoundError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Inspector:
    username: str
    inspection_id: int
    item_ids: list[int]
    opener: urllib.request.OpenerDirector = field(init=False)
    token: str = ""

    def __post_init__(self):
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def call(self, url: str, body: bytes | None = None, headers: dict | None = None):
        """Request a URL; True only for a 200 from that URL itself, not from a redirect to the
        login page, which would mean the session was lost."""
        request = urllib.request.Request(url, data=body, headers=headers or {})
        with self.opener.open(request, timeout=30) as response:
            response.read()
            return response.status == 200 and response.url == url

    def login(self, base: str) -> None:
        with self.opener.open(base + "/login", timeout=30) as response:
            page = response.read()
        self.token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        self.token = self.token.decode()
        form = {"username": self.username, "password": PASSWORD, "csrf_token": self.token}
        self.opener.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=30)
        if not self.call(base + "/"):
            sys.exit(f"{self.username} could not log in")


@dataclass
class Write:
    kind: str  # "answer" or "photo"
    client_uuid: str
    item_id: int
    answer: str = ""
    acknowledged: bool = False
    refused: str = ""
    attempts: int = 0


class Run:
    """What the inspectors did and saw: timings per action, failed attempts, every write."""

    def __init__(self):
        self.lock = threading.Lock()
        # (when it was answered, how long it took) per action
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ACTIONS}
        self.failures: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        self.writes: list[Write] = []
        self.faults: list[tuple[str, float]] = []

    def record(self, action: str, began: float, ok: bool) -> None:
        now = time.perf_counter()
        with self.lock:
            if ok:
                self.samples[action].append((time.monotonic(), now - began))
            else:
                self.failures[action] += 1


def photo_bodies(count: int, seed: int = 7) -> list[bytes]:
    """Distinct 1600x1200 JPEGs at the quality the phone's downscaler sends (~0.8)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    bodies = []
    for n in range(count):
        grain = Image.effect_noise((400, 300), 30).convert("RGB")
        image = grain.resize((1600, 1200), Image.Resampling.BICUBIC)
        draw = ImageDraw.Draw(image, "RGBA")
        for _ in range(12):
            x, y = rng.randrange(1500), rng.randrange(1100)
            colour = tuple(rng.randrange(256) for _ in range(3)) + (160,)
            draw.rectangle((x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 400)), colour)
        draw.text((20, 20), f"bench photo {n}", fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        bodies.append(buffer.getvalue())
    return bodies


def multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def prepare(app, inspectors: int) -> list[Inspector]:
    """Migrate, seed the demo, give each bench inspector a draft inspection of their own."""
    from flask_migrate import upgrade

    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import ServiceLine, Site
    from app.core.extensions import db
    from app.demo import seed_demo
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Scope

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        line = db.session.query(ServiceLine).filter_by(code="CLN").one()
        site = db.session.query(Site).filter_by(code="B1-F1-LOBBY").one()
        people = []
        for n in range(inspectors):
            user = create_user(f"bench{n}", f"压测{n}", Role.INSPECTOR, PASSWORD)
            inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), user)
            db.session.flush()
            people.append(
                Inspector(user.username, inspection.id, [item.id for item in inspection.items])
            )
        db.session.commit()
        db.engine.dispose()
    return people


def inspect(run: Run, person: Inspector, base: str, photos: list[bytes], until: float, pause):
    """One inspector's loop: the next step once the last one is answered and, with a pause,
    after looking at the place for a while (exponentially distributed, `pause` s on average)."""
    rng = random.Random(person.username)
    step = rng.randrange(len(STEPS))  # out of step with the others, as people are
    while time.monotonic() < until:
        if pause:
            time.sleep(rng.expovariate(1 / pause))
        action = STEPS[step % len(STEPS)]
        item_id = person.item_ids[step % len(person.item_ids)]
        step += 1
        if action in ("list", "home"):
            read(run, person, action, base + ("/inspections" if action == "list" else "/"))
        else:
            write = Write(action, str(uuid.uuid4()), item_id, rng.choice(("pass", "fail", "na")))
            with run.lock:
                run.writes.append(write)
            deliver(run, person, base, write, rng.choice(photos), until + RETRY_GRACE)


def read(run: Run, person: Inspector, action: str, url: str) -> None:
    """Open a page once; a failure is counted and the inspector moves on."""
    began = time.perf_counter()
    try:
        run.record(action, began, person.call(url))
    except TRANSPORT_ERRORS:
        run.record(action, began, False)


def deliver(run: Run, person: Inspector, base: str, write: Write, photo: bytes, give_up: float):
    """Send a write until the server answers it, with the same UUID each time."""
    url = f"{base}/inspections/{person.inspection_id}/items/{write.item_id}/"
    headers = {"HX-Request": "true", "X-CSRFToken": person.token}
    tapped_ms = str(int(time.time() * 1000))
    if write.kind == "answer":
        url += "answer"
        fields = {"answer": write.answer, "client_uuid": write.client_uuid}
        body = urllib.parse.urlencode({**fields, "answered_at_ms": tapped_ms}).encode()
    else:
        url += "photos"
        fields = {"client_uuid": write.client_uuid, "taken_at_ms": tapped_ms}
        body, headers["Content-Type"] = multipart(fields, "photo.jpg", photo)
    while time.monotonic() < give_up:
        write.attempts += 1
        began = time.perf_counter()
        try:
            write.acknowledged = person.call(url, body, headers)
        except urllib.error.HTTPError as error:
            run.record(write.kind, began, False)
            if error.code < 500:  # the server looked at it and said no: resending won't help
                write.refused = f"{error.code} {error.read()[:200]!r}"
                return
        except TRANSPORT_ERRORS:
            run.record(write.kind, began, False)
        else:
            run.record(write.kind, began, write.acknowledged)
            if not write.acknowledged:
                write.refused = "answered, but not by the page asked for (session lost?)"
            return
        time.sleep(RETRY_PAUSE)


def bare_route(run: Run, person: Inspector, base: str, until: float, pause: float) -> None:
    """The same clients and pauses, on a route that does nothing."""
    rng = random.Random(person.username)
    while time.monotonic() < until:
        if pause:
            time.sleep(rng.expovariate(1 / pause))
        read(run, person, "bare", base + "/bench/bare")


def inject_faults(run: Run, server: Server, postgres: LocalPostgres | None, start, seconds):
    time.sleep(max(0.0, start + seconds / 3 - time.monotonic()))
    run.faults.append(("server killed (SIGKILL) and started again", time.monotonic()))
    server.kill()
    server.start()
    time.sleep(max(0.0, start + 2 * seconds / 3 - time.monotonic()))
    if postgres:
        run.faults.append(("PostgreSQL crashed (immediate stop), 2 s down", time.monotonic()))
        postgres.crash()
        time.sleep(2)
        postgres.start()
    else:
        at = time.monotonic()
        killed = server.kill_workers()
        run.faults.append((f"SQLite: its {killed} workers killed mid-request", at))


def verify(app, run: Run) -> list[str]:
    """Every acknowledged answer and photo is stored; the items show their latest answers."""
    import sqlalchemy as sa
    from PIL import Image

    from app.core.extensions import db
    from app.core.photos import read_photo
    from app.inspections.models import AnswerRecord, InspectionItem, InspectionPhoto

    problems = []
    with app.app_context():
        db.engine.dispose()  # the database was restarted under the old connections
        answers = {
            r.client_uuid: r
            for r in db.session.scalars(
                sa.select(AnswerRecord).where(AnswerRecord.client_uuid.is_not(None))
            )
        }
        photos = {
            p.client_uuid: p
            for p in db.session.scalars(
                sa.select(InspectionPhoto).where(InspectionPhoto.client_uuid.is_not(None))
            )
        }
        for write in run.writes:
            if not write.acknowledged:
                continue
            if write.kind == "answer":
                stored = answers.get(write.client_uuid)
                if stored is None or (stored.item_id, stored.answer.value) != (
                    write.item_id,
                    write.answer,
                ):
                    problems.append(f"answer {write.client_uuid} acknowledged, not stored")
            else:
                stored = photos.get(write.client_uuid)
                if stored is None or stored.item_id != write.item_id:
                    problems.append(f"photo {write.client_uuid} acknowledged, not stored")
                    continue
                for thumb in (False, True):
                    try:
                        with Image.open(
                            io.BytesIO(read_photo(stored.digest, thumb=thumb))
                        ) as image:
                            image.verify()
                    except OSError as error:
                        problems.append(f"photo {write.client_uuid} file unreadable: {error}")
        touched = {w.item_id for w in run.writes if w.kind == "answer"}
        for item in db.session.scalars(
            sa.select(InspectionItem).where(InspectionItem.id.in_(touched))
        ):
            latest = max(item.history, key=lambda r: (r.answered_at, r.id), default=None)
            if latest is not None and item.answer != latest.answer:
                problems.append(f"item {item.id} shows {item.answer}, latest is {latest.answer}")
    return problems


def outage(successes: list[float], at: float, window: float = 30) -> float:
    """The longest time within `window` seconds after a fault when no request was answered."""
    times = [at, *(t for t in successes if at < t <= at + window)]
    return max((b - a for a, b in itertools.pairwise(times)), default=window)


def median_and_p95(times: list[float]) -> tuple[float, float]:
    """The median and the nearest-rank 95th percentile (of ten, the slowest)."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def percentiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100) if len(values) > 1 else [float("nan")] * 99


def latency_table(run: Run, seconds: dict[str, float], keep) -> None:
    """p50/p95/p99 of the answered requests whose answer came at a time `keep` accepts."""
    latencies = {a: [t for at, t in run.samples[a] if keep(at)] for a in ACTIONS}
    bare = percentiles(latencies["bare"])
    print(
        "| action | answered | per s | p50 ms | p95 ms | p99 ms | p50/p95/p99 ÷ bare |\n"
        "|---|---|---|---|---|---|---|"
    )
    for action, name in ACTIONS.items():
        q = percentiles(latencies[action])
        ratio = "/".join(f"{q[i] / bare[i]:.1f}" for i in (49, 94, 98))
        print(
            f"| {name} | {len(latencies[action])} | {len(latencies[action]) / seconds[action]:.1f} "
            f"| {q[49] * 1000:.0f} | {q[94] * 1000:.0f} | {q[98] * 1000:.0f} | {ratio} |"
        )


def report(run: Run, run_seconds: float, bare_seconds: float) -> None:
    seconds = {a: bare_seconds if a == "bare" else run_seconds for a in ACTIONS}
    print("\nAll answered requests, faults included:\n")
    latency_table(run, seconds, lambda at: True)
    print(f"\nOutside the {FAULT_WINDOW} s after each fault:\n")
    excluded = FAULT_WINDOW * len(run.faults)
    steady = {a: t if a == "bare" else t - excluded for a, t in seconds.items()}
    latency_table(
        run, steady, lambda at: not any(0 <= at - fault <= FAULT_WINDOW for _, fault in run.faults)
    )
    print(f"\nfailed attempts: {', '.join(f'{ACTIONS[a]} {n}' for a, n in run.failures.items())}")
    answered = sorted(at for samples in run.samples.values() for at, _ in samples)
    for name, at in run.faults:
        print(f"fault: {name}: longest wait for any answer after it {outage(answered, at):.1f} s")
    for kind in ("answer", "photo"):
        mine = [w for w in run.writes if w.kind == kind]
        print(
            f"{kind} writes: {len(mine)}, acknowledged {sum(w.acknowledged for w in mine)}, "
            f"resent after a failed attempt {sum(w.attempts > 1 for w in mine)}, "
            f"refused {sum(bool(w.refused) for w in mine)}, "
            f"given up unanswered {sum(not w.acknowledged and not w.refused for w in mine)}"
        )
    for write in [w for w in run.writes if w.refused][:5]:
        print(f"  refused {write.kind} {write.client_uuid}: {write.refused}")


def main():
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="xunjian-bench-") as tmp:
        instance = Path(tmp)
        postgres, env = throwaway_instance(instance, args.database)
        os.environ.update(env)
        from app import create_app

        app = create_app()
        server = Server(free_port(), args.workers, env, instance / "server.log")
        try:
            print(f"preparing the demo and {args.inspectors} inspectors on {args.database}…")
            people = prepare(app, args.inspectors)
            photos = photo_bodies(24)
            print(f"photos sent: 1600x1200 JPEG, {statistics.mean(map(len, photos)) / 1024:.0f} KB")
            server.start()
            base = f"http://127.0.0.1:{server.port}"
            for person in people:
                person.login(base)
            run = Run()
            run_seconds = inspect_through_faults(run, people, base, photos, server, postgres, args)
            walk_bare_routes(run, people, base, args)
            server.stop()
            print(
                f"\n{args.inspectors} inspectors pausing {args.pause:g} s on average, "
                f"gunicorn {args.workers} sync workers, "
                f"{args.database}, {run_seconds:.0f} s with faults + {args.bare_seconds:.0f} s bare"
            )
            report(run, run_seconds, args.bare_seconds)
            problems = verify(app, run)
        finally:
            server.stop()
            if postgres:
                postgres.crash()
        print(f"acknowledged writes missing or wrong in the database: {len(problems)}")
        for problem in problems[:20]:
            print(f"  {problem}")
        if problems:
            sys.exit(1)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=180, help="the run with its faults")
    parser.add_argument("--bare-seconds", type=float, default=30)
    parser.add_argument(
        "--pause", type=float, default=0, help="mean seconds an inspector looks between steps"
    )
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    return parser.parse_args()


def inspect_through_faults(run, people, base, photos, server, postgres, args) -> float:
    """Every inspector inspects while the faults are injected; the seconds it took."""
    start = time.monotonic()
    until = start + args.seconds
    threads = [
        threading.Thread(target=inspect, args=(run, p, base, photos, until, args.pause))
        for p in people
    ]
    threads.append(
        threading.Thread(target=inject_faults, args=(run, server, postgres, start, args.seconds))
    )
    run_together(threads)
    return time.monotonic() - start


def walk_bare_routes(run, people, base, args) -> None:
    """Then every inspector walks the bare route, with no fault, for comparison."""
    until = time.monotonic() + args.bare_seconds
    run_together(
        [
            threading.Thread(target=bare_route, args=(run, p, base, until, args.pause))
            for p in people
        ]
    )


def throwaway_instance(
    instance: Path, database: str, *, existing: bool = False
) -> tuple[LocalPostgres | None, dict]:
    """A database (SQLite in the folder, or a private PostgreSQL cluster) and the environment
    the app and its server run with on it; `existing`: the one a run kept there before."""
    postgres = None
    if database == "postgresql":
        if existing:
            postgres = LocalPostgres(instance / "pg", free_port())
            postgres.start()
        else:
            instance.chmod(0o711)  # the postgres user must reach its directory inside
            (instance / "pg").mkdir()
            postgres = LocalPostgres(instance / "pg", free_port())
            postgres.create()
        url = postgres.url()
    else:
        url = f"sqlite:///{instance / 'bench.db'}"
    env = {
        **os.environ,
        "XUNJIAN_DATABASE_URL": url,
        "XUNJIAN_UPLOAD_DIR": str(instance / "photos"),
        "XUNJIAN_SECRET_KEY": "bench",
    }
    return postgres, env


def run_together(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
