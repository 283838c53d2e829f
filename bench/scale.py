"""Benchmark: five years of a large bureau, and how fast the main pages open on it.

Run on demand (never in the test suite):

    .venv/bin/python bench/scale.py --database sqlite|postgresql [--inspections 50000]
        [--items 44] [--repeat 20] [--clients 10] [--keep DIR | --reuse DIR]

It fills a throwaway database with set-based SQL (a numbers table and INSERT … SELECT, so
minutes, not hours): 50 contractors, about 2,000 places, 40 inspectors, `--inspections`
submitted inspections of `--items` items each (2.2 M with the defaults), a failure with a
photo in every eleventh item (about 200,000), and a notice for four inspections in five (about
40,000). Then it serves the instance with gunicorn (4 sync workers) and opens every main page
as the role that uses it, `--repeat` times one at a time (after one request per worker, which
compiles the page's templates), then with `--clients` managers at once on the heavy pages, and
prints p50/p95 per page. The inspector timed, inspector00, made one inspection in forty of
the five years and has a block check under way (made through the app's code on the first run
and kept), whose checklist is timed too. Last, for each list page it catches the statements one
request sends through the app's test client, EXPLAINs every SELECT and prints the plan
(EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL) of the one the database took longest on. It exits 1
if any gunicorn worker died or was killed.
"""

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import (  # noqa: E402
    PASSWORD,
    Inspector,
    Server,
    free_port,
    median_and_p95,
    throwaway_instance,
)

CONTRACTORS, COMPOUNDS, BUILDINGS, AREAS, INSPECTORS = 50, 20, 10, 9, 40
LINES = 13
YEARS = 5
FAIL_EVERY = 11
NOTICE_SHARE = (4, 5)  # four inspections in five with failures get a notice


def seconds_after(dialect: str, start: str, seconds: str) -> str:
    """An SQL expression: the timestamp `start` plus `seconds` (an integer expression)."""
    if dialect == "sqlite":
        return f"datetime({start}, '+' || ({seconds}) || ' seconds')"
    return f"(CAST({start} AS timestamptz) + ({seconds}) * interval '1 second')"


def numbers(connection, dialect: str, up_to: int) -> None:
    connection.execute(sa.text("CREATE TABLE bench_numbers (n integer PRIMARY KEY)"))
    if dialect == "sqlite":
        connection.execute(
            sa.text(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :m)"
                " INSERT INTO bench_numbers SELECT n FROM seq"
            ),
            {"m": up_to},
        )
    else:
        connection.execute(
            sa.text("INSERT INTO bench_numbers SELECT generate_series(1, :m)"), {"m": up_to}
        )


def credit_code(n: int) -> str:
    """A unified social credit code of its own, with a right check digit: the organisation
    workbook (bench/org_import.py) finds contractors by it."""
    from stdnum.cn import uscc

    body = f"91320100MA1N{n:05d}"
    return body + uscc.calc_check_digit(body)


def places() -> tuple[list, list]:
    """Compounds, then buildings, then areas, so that the areas' ids run on without a gap:
    the compounds and the areas."""
    from app.catalog.models import SiteKind
    from app.demo import factories

    compounds = [
        factories.site(f"园区{c:02d}", SiteKind.COMPOUND, code=f"C{c:02d}")
        for c in range(COMPOUNDS)
    ]
    buildings = [
        factories.site(f"{b + 1}号楼", SiteKind.BUILDING, c, f"{c.code}B{b}")
        for c in compounds
        for b in range(BUILDINGS)
    ]
    leaves = [
        factories.site(f"区域{a + 1}", SiteKind.AREA, b, f"{b.code}A{a}")
        for b in buildings
        for a in range(AREAS)
    ]
    return compounds, leaves


def people_and_places() -> dict:
    """The catalogue, places, contractors and users, through the app's own code."""
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import ServiceLine
    from app.catalog.standards_io import load_default_catalogue
    from app.core.extensions import db
    from app.demo import factories

    load_default_catalogue()
    lines = db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.id)).all()[:LINES]
    compounds, leaves = places()
    today = datetime.now(UTC).date()
    companies = [
        factories.contractor(
            name=f"规模服务公司{n:02d}",
            short_name=f"规模{n:02d}",
            licence_no=credit_code(n),
            contract_start=today - timedelta(days=900),
            contract_end=today + timedelta(days=200),
            contract_value=2_000_000,
            service_lines=[lines[n % LINES]],
            sites=[compounds[n % COMPOUNDS]],
        )
        for n in range(CONTRACTORS)
    ]
    inspectors = [
        create_user(f"inspector{n:02d}", f"监管员{n:02d}", Role.INSPECTOR, PASSWORD)
        for n in range(INSPECTORS)
    ]
    create_user("scale-manager", "规模管理员", Role.MANAGER, PASSWORD)
    create_user("scale-contractor", "规模承包方", Role.CONTRACTOR, PASSWORD,
                contractor_id=companies[0].id)  # fmt: skip
    db.session.commit()
    return {
        "lines": [line.id for line in lines],
        "leaf_first": min(leaf.id for leaf in leaves),
        "leaves": len(leaves),
        "contractor_first": companies[0].id,
        "inspector_first": inspectors[0].id,
        "first_point": db.session.scalar(sa.text("SELECT min(id) FROM check_points")),
        "points": db.session.scalar(sa.text("SELECT count(*) FROM check_points")),
    }


def history(connection, dialect: str, ids: dict, inspections: int, items: int) -> None:
    """Five years of inspections, items, findings, photos and notices, set-based."""
    began = (datetime.now(UTC) - timedelta(days=365 * YEARS)).strftime("%Y-%m-%d %H:%M:%S")
    step = (365 * YEARS * 24 * 3600) // inspections
    values = {**ids, "began": began, "step": step, "line_first": ids["lines"][0]}

    def run(sql: str, **more) -> None:
        connection.execute(sa.text(sql), {**values, **more})

    checks(run, dialect, inspections)
    items_and_findings(run, dialect, inspections, items)
    notices(run, dialect)
    if dialect == "postgresql":
        for table in ("inspections", "inspection_items", "findings", "inspection_photos",
                      "notices", "notice_items"):  # fmt: skip
            run(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    connection.execute(sa.text("DROP TABLE bench_numbers"))
    connection.execute(sa.text("ANALYZE"))


def checks(run, dialect: str, inspections: int) -> None:
    """The submitted inspections, each with its place, line, contractor and inspector."""
    at = seconds_after(dialect, ":began", "n * :step")
    line = f"(:line_first + (n % {LINES}))"
    run(
        f"""INSERT INTO inspections (id, scope, schedule, party, tier, status, created_by_id,
            started_at, ended_at, summary, self_check, assessor)
        SELECT n, 'strip', 'spot', 'internal',
            CASE n % 5 WHEN 0 THEN 'daily' WHEN 1 THEN 'weekly_joint' WHEN 2 THEN 'monthly'
                 WHEN 3 THEN 'half_yearly' ELSE 'ad_hoc' END,
            'submitted', :inspector_first + (n % {INSPECTORS}), {at}, {at}, '', false, ''
        FROM bench_numbers WHERE n <= :count""",
        count=inspections,
    )
    run(
        "INSERT INTO inspection_sites (inspection_id, site_id) "
        "SELECT n, :leaf_first + (n % :leaves) FROM bench_numbers WHERE n <= :count",
        count=inspections,
    )
    run(
        f"INSERT INTO inspection_service_lines (inspection_id, service_line_id) "
        f"SELECT n, {line} FROM bench_numbers WHERE n <= :count",
        count=inspections,
    )
    run(
        f"INSERT INTO inspection_contractors (inspection_id, contractor_id) "
        f"SELECT n, :contractor_first + (n % {LINES}) + {LINES} * (n % 3) "
        f"FROM bench_numbers WHERE n <= :count",
        count=inspections,
    )
    run(
        f"INSERT INTO inspection_inspectors (inspection_id, user_id) "
        f"SELECT n, :inspector_first + (n % {INSPECTORS}) FROM bench_numbers WHERE n <= :count",
        count=inspections,
    )


def items_and_findings(run, dialect: str, inspections: int, items: int) -> None:
    """Each inspection's items; every FAIL_EVERY-th a failure, with its finding and photo."""
    inspection = f"((n - 1) / {items} + 1)"
    answered = seconds_after(dialect, ":began", f"{inspection} * :step + ((n - 1) % {items}) * 30")
    run(
        f"""INSERT INTO inspection_items (id, inspection_id, position, check_point_id,
            contractor_id, site_id, category, code, title, standard, good_practice, severity,
            deduction, answer, note, answered_at, answered_by_id)
        SELECT n, {inspection}, (n - 1) % {items}, p.id,
            :contractor_first + ({inspection} % {LINES}) + {LINES} * ({inspection} % 3),
            :leaf_first + ({inspection} % :leaves), c.name, p.code, p.title, p.standard,
            COALESCE(p.good_practice, ''), p.severity, p.deduction,
            CASE WHEN n % {FAIL_EVERY} = 0 THEN 'fail' ELSE 'pass' END,
            CASE WHEN n % {FAIL_EVERY} = 0 THEN '规模测试发现的问题' ELSE '' END,
            {answered}, :inspector_first + ({inspection} % {INSPECTORS})
        FROM bench_numbers
        JOIN check_points p ON p.id = :first_point + (n % :points)
        JOIN check_categories c ON c.id = p.category_id
        WHERE n <= :count""",
        count=inspections * items,
    )
    run(
        """INSERT INTO findings (id, inspection_id, item_id, check_point_id, contractor_id,
            site_id, severity, deduction, title, standard, note, found_at)
        SELECT id, inspection_id, id, check_point_id, contractor_id, site_id, severity,
            deduction, title, standard, note, answered_at
        FROM inspection_items WHERE answer = 'fail'"""
    )
    run(
        """INSERT INTO inspection_photos (id, item_id, digest, width, height, taken_at,
            uploaded_by_id, uploaded_at)
        SELECT id, id, '0000000000000000000000000000000000000000000000000000000000000000',
            1600, 1200, answered_at, answered_by_id, answered_at
        FROM inspection_items WHERE answer = 'fail'"""
    )


def notices(run, dialect: str) -> None:
    """A closed notice for most inspections with findings, an accepted item per finding."""
    deadline = seconds_after(dialect, "i.started_at", "3 * 86400")
    closed = seconds_after(dialect, "i.started_at", "2 * 86400")
    run(
        f"""INSERT INTO notices (id, contractor_id, inspection_id, status, year, serial,
            deadline, deadline_reason, created_by_id, created_at, issued_at, issued_by_id,
            acknowledged_at, acknowledged_by_id, closed_at)
        SELECT i.id, ic.contractor_id, i.id, 'closed', 2000 + i.id / 10000, i.id % 10000 + 1,
            {deadline}, '', i.created_by_id, i.started_at, i.started_at, i.created_by_id,
            i.started_at, NULL, {closed}
        FROM inspections i JOIN inspection_contractors ic ON ic.inspection_id = i.id
        WHERE i.id % {NOTICE_SHARE[1]} < {NOTICE_SHARE[0]}
          AND EXISTS (SELECT 1 FROM findings f WHERE f.inspection_id = i.id)"""
    )
    item_deadline = seconds_after(dialect, "n.issued_at", "3 * 86400")
    run(
        f"""INSERT INTO notice_items (id, notice_id, finding_id, status, deadline, rejections,
            rejection_reason, fix_note)
        SELECT f.id, f.inspection_id, f.id, 'accepted', {item_deadline}, 0, '', '已整改'
        FROM findings f JOIN notices n ON n.id = f.inspection_id"""
    )


def generate(dialect: str, inspections: int, items: int) -> None:
    from app.core.extensions import db

    began = time.monotonic()
    db.create_all()
    ids = people_and_places()
    with db.engine.begin() as connection:
        numbers(connection, dialect, inspections * items)
        history(connection, dialect, ids, inspections, items)
    tables = ("inspections", "inspection_items", "findings", "inspection_photos", "notices")
    counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}
    print(f"generated in {time.monotonic() - began:.0f} s: {counts}")


def under_way(app) -> int:
    """The id of the block check inspector00 (five years of history: one inspection in 40)
    has under way at a place of the first contractor, half answered with a failure in every
    fifth answer, made through the app's own code the first time (a reused instance keeps
    it)."""
    from app.auth.models import User
    from app.catalog.models import Contractor, Site
    from app.core.extensions import db
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Answer, Inspection, Scope, Status
    from app.inspections.recording import record_answer, record_note

    with app.app_context():
        inspector = db.session.scalar(sa.select(User).where(User.username == "inspector00"))
        draft = db.session.scalar(
            sa.select(Inspection.id).where(
                Inspection.status == Status.DRAFT, Inspection.created_by_id == inspector.id
            )
        )
        if draft:
            return draft
        company = db.session.scalar(sa.select(Contractor).order_by(Contractor.id).limit(1))
        place = db.session.scalar(
            sa.select(Site).where(Site.code == f"{company.sites[0].code}B0A0")
        )
        inspection = start_inspection(Plan(Scope.BLOCK, place, contractor=company), inspector)
        for n, item in enumerate(inspection.items[: len(inspection.items) // 2]):
            record_answer(item, Answer.FAIL if n % 5 == 4 else Answer.PASS, inspector)
            if n % 5 == 4:
                record_note(item, "规模测试发现的问题", inspector)
        db.session.commit()
        print(f"inspector00's inspection under way: {len(inspection.items)} items")
        return inspection.id


def last_pages(app) -> dict[str, int]:
    """The number of the last page of the inspection and notice lists (20 to a page)."""
    from app.core.extensions import db

    with app.app_context():
        return {
            table: -(-db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) // 20)
            for table in ("inspections", "notices")
        }


def pages(month: str, last: dict[str, int], draft: int) -> dict[str, list[str]]:
    return {
        "scale-manager": [
            "/", "/inspections", "/inspections?page=50", f"/inspections?page={last['inspections']}",
            "/notices?status=all", "/notices?status=all&page=50",
            f"/notices?status=all&page={last['notices']}", "/plans", "/plans/missed", "/complaints",
            f"/assessments/{month}", f"/assessments/{month}.xlsx", f"/bulletins/{month}",
            "/inspections/1", "/notices/1", "/contractors/1",
            f"/analysis?period=year&at={month}", f"/analysis.xlsx?period=year&at={month}",
        ],
        "inspector00": ["/", f"/inspections/{draft}/run", "/inspections", "/notices", "/inbox"],
        "scale-contractor": ["/", "/notices", "/inbox", f"/analysis?period=year&at={month}"],
    }  # fmt: skip


# The list pages whose costliest statement is EXPLAINed, as the role that opens them.
LIST_PAGES = {
    "scale-manager": ["/inspections", "/inspections?page=50", "/notices?status=all",
                      "/notices?status=overdue", "/plans", "/plans/missed", "/complaints"],
    "inspector00": ["/inspections", "/notices", "/inbox"],
    "scale-contractor": ["/notices", "/inbox"],
}  # fmt: skip

FAILED = float("inf")  # a request that got no answer (a worker killed or timed out)


def timed(person: Inspector, url: str) -> float:
    began = time.perf_counter()
    try:
        answered = person.call(url)
    except OSError:
        return FAILED
    if not answered:
        raise SystemExit(f"{url} did not answer 200 for {person.username}")
    return (time.perf_counter() - began) * 1000


def row(name: str, times: list[float]) -> str:
    failed = sum(1 for t in times if t == FAILED)
    median, p95 = median_and_p95(times)
    return f"| {name} | {median:.0f} | {p95:.0f} | {failed} |"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--inspections", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=44)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--keep", help="build the instance in this new folder and keep it (PostgreSQL stopped)"
    )
    parser.add_argument(
        "--reuse", help="time the pages on an instance kept before, without generating anything"
    )
    return parser.parse_args()


def one_at_a_time(base: str, app, month: str, draft: int, args: argparse.Namespace) -> None:
    """Every main page as the role that uses it, `--repeat` times, after one request per
    worker (which compiles the page's templates)."""
    print(f"\n{args.database}, gunicorn {args.workers} sync workers, one at a time "
          f"({args.repeat} each)\n")  # fmt: skip
    print("| page (role) | p50 ms | p95 ms | no answer |\n|---|---|---|---|")
    for username, urls in pages(month, last_pages(app), draft).items():
        person = Inspector(username, 0, [])
        person.login(base)
        for url in urls:
            for _ in range(args.workers):
                timed(person, base + url)
            times = [timed(person, base + url) for _ in range(args.repeat)]
            print(row(f"{url} ({username})", times))


def together(base: str, month: str, clients: int) -> None:
    """The heavy pages, three rounds each, by `clients` managers at once."""
    heavy = [f"/assessments/{month}", f"/bulletins/{month}", "/inspections", "/"]
    managers = [Inspector("scale-manager", 0, []) for _ in range(clients)]
    for person in managers:
        person.login(base)
    times: list[float] = []

    def browse(person):
        for url in heavy * 3:
            times.append(timed(person, base + url))

    threads = [threading.Thread(target=browse, args=(p,)) for p in managers]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    print(f"\n{clients} managers at once on {', '.join(heavy)}: "
          f"{len(times) / elapsed:.2f} pages/s")  # fmt: skip
    print("| pages | p50 ms | p95 ms | no answer |\n|---|---|---|---|")
    print(row("heavy pages, together", times))


def statements_of(client, engine, url: str) -> list[tuple[str, object]]:
    """The statements one request of the page sends (after one that warms it), with their
    parameters as sent."""
    client.get(url)
    ran: list[tuple[str, object]] = []

    def note(connection, cursor, statement, parameters, context, executemany):
        ran.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        if client.get(url).status_code != 200:
            raise SystemExit(f"{url} did not answer 200 in the test client")
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return ran


def costliest_plan(engine, ran: list[tuple[str, object]], explain: str) -> tuple[float, str, list]:
    """EXPLAIN each SELECT the page ran, in a transaction rolled back; the one that took the
    database longest by EXPLAIN ANALYZE's own execution time (the plan's cost on SQLite,
    which measures none): that time in ms, the statement and its plan."""
    costliest = (-1.0, "", [])
    with engine.connect() as connection, connection.begin() as transaction:
        for statement, parameters in ran:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = [row[-1] for row in connection.exec_driver_sql(explain + statement, parameters)]
            took = next(
                (float(line.split()[-2]) for line in plan if line.startswith("Execution Time")),
                0.0,
            )
            if took > costliest[0] or not costliest[1]:
                costliest = (took, statement, plan)
        transaction.rollback()
    return costliest


def explain_lists(app, dialect: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement of each list page that takes the database
    longest, caught as the page sends it in a request through the app's test client on the
    same database; every statement the page runs is EXPLAINed to find it."""
    from app.core.extensions import db
    from app.core.logs import REQUEST_LOG

    app.config["WTF_CSRF_ENABLED"] = False  # this in-process app only; the server keeps it
    logging.getLogger(REQUEST_LOG).setLevel(logging.WARNING)
    with app.app_context():
        engine = db.engine
    explain = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    print("\nThe statement of each list page that takes the database longest, and its plan\n")
    for username, urls in LIST_PAGES.items():
        client = app.test_client()
        form = {"username": username, "password": PASSWORD}
        if client.post("/login", data=form).status_code != 302:
            raise SystemExit(f"{username} could not log in to the test client")
        for url in urls:
            # each request its own app context and session, as in the server
            ran = statements_of(client, engine, url)
            took, statement, plan = costliest_plan(engine, ran, explain)
            print(f"### {url} ({username}): {len(ran)} statements, the longest {took:.2f} ms\n")
            print("```sql\n" + " ".join(statement.split()) + "\n```\n```text")
            print("\n".join(str(line) for line in plan) + "\n```\n")


def workers_survived(log_path: Path, logged_before: int) -> bool:
    """Whether no gunicorn worker died or was killed in this run's part of the log (a reused
    instance's log holds earlier runs too)."""
    with log_path.open("rb") as log_file:
        log_file.seek(logged_before)
        log = log_file.read().decode(errors="replace")
    died = log.count("SIGSEGV") + log.count("exited with code")
    timeouts = log.count("WORKER TIMEOUT")
    print(f"\ngunicorn workers that died: {died}; killed for taking over 30 s: {timeouts}")
    return not (died or timeouts)


def instance_folder(args: argparse.Namespace, stack: contextlib.ExitStack) -> Path:
    """The folder of the instance: the one reused or kept, or a temporary one."""
    if args.reuse:
        return Path(args.reuse)
    if args.keep:
        Path(args.keep).mkdir(parents=True)
        return Path(args.keep)
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scale-")))


def main() -> None:
    args = arguments()
    with contextlib.ExitStack() as stack:
        instance = instance_folder(args, stack)
        postgres, env = throwaway_instance(instance, args.database, existing=bool(args.reuse))
        os.environ.update(env)
        from app import create_app
        from app.core.timeutil import month_of, utcnow

        app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        server = Server(free_port(), args.workers, env, instance / "server.log")
        try:
            if not args.reuse:
                with app.app_context():
                    generate(args.database, args.inspections, args.items)
            draft = under_way(app)
            logged_before = server.log.stat().st_size if server.log.exists() else 0
            server.start()
            base = f"http://127.0.0.1:{server.port}"
            month = month_of(utcnow())
            one_at_a_time(base, app, month, draft, args)
            together(base, month, args.clients)
            explain_lists(app, args.database)
            if not workers_survived(server.log, logged_before):
                sys.exit(f"a worker died or was killed; see {server.log} (kept with --keep)")
        finally:
            server.stop()
            if postgres and (args.keep or args.reuse):
                postgres.stop()
            elif postgres:
                postgres.crash()


if __name__ == "__main__":
    main()
