"""Benchmark: the organisation workbook of a large bureau, exported and imported.

Run on demand (never in the test suite):

    .venv/bin/python bench/org_import.py --database sqlite|postgresql [--staff 40]

It builds the organisation of bench/scale.py (the standards library, about 2,000 places, 50
contractors and their accounts) and gives each contractor `--staff` staff members with one or
two certificates each (2,000 people, 3,000 certificates by default) and a contractor user
(about 100 accounts in all). Then it exports the workbook, and on an empty database that has
only the standards library (as `flask standards load` leaves it) runs the dry run, the import
itself (dry run, apply, commit: what the confirmation does) and the dry run of the same
workbook again, which must find nothing to change. Each step runs twice, on two empty
databases: once for its time, once under tracemalloc for the peak of Python's heap. It
prints a table and exits 1 if an import step takes 30 s or more or a re-import would change
anything.
"""

import argparse
import contextlib
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import throwaway_instance  # noqa: E402
from bench.scale import people_and_places  # noqa: E402

LIMIT_SECONDS = 30


def staff_and_accounts(per_contractor: int) -> None:
    """Staff with certificates, and a user for every contractor, a few managers more."""
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import Certificate, Contractor, StaffMember
    from app.core.extensions import db
    from bench.load_faults import PASSWORD

    today = datetime.now(UTC).date()
    contractors = db.session.scalars(sa.select(Contractor).order_by(Contractor.id)).all()
    for c, company in enumerate(contractors):
        for s in range(per_contractor):
            expires = today + timedelta(days=30 * (s % 36) - 60)
            member = StaffMember(
                contractor=company,
                name=f"员工{c:02d}{s:03d}",
                post="保洁员" if s % 3 else "领班",
                phone=f"139{c:04d}{s:04d}",
            )
            member.certificates.append(
                Certificate(kind="上岗证", number=f"SG{c:02d}{s:04d}",
                            issued_on=expires - timedelta(days=1095), expires_on=expires)
            )  # fmt: skip
            if s % 2 == 0:
                member.certificates.append(
                    Certificate(kind="健康证", number=f"JK{c:02d}{s:04d}",
                                issued_on=expires - timedelta(days=365), expires_on=expires)
                )  # fmt: skip
            db.session.add(member)
        create_user(f"company{c:02d}", f"{company.short_name}联络人", Role.CONTRACTOR, PASSWORD,
                    contractor_id=company.id)  # fmt: skip
    for m in range(8):
        create_user(f"manager{m}", f"监管科{m}", Role.MANAGER, PASSWORD)
    db.session.commit()


def make_app(url: str, files: Path):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "UPLOAD_DIR": str(files),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def empty_database(url: str, name: str, folder: Path) -> str:
    """Another database beside `url` with every table and the standards library."""
    from app.catalog.standards_io import load_default_catalogue
    from app.core.extensions import db

    if url.startswith("sqlite"):
        target = f"sqlite:///{folder / f'{name}.db'}"
    else:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        target = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    app = make_app(target, folder / "files")
    with app.app_context():
        db.create_all()
        load_default_catalogue()
        db.session.commit()
        db.engine.dispose()
    return target


@contextlib.contextmanager
def measured(results: dict, step: str, memory: bool):
    """Time the block, or (memory) trace the peak of Python's heap while it runs."""
    if memory:
        tracemalloc.start()
        yield
        results[step]["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        began = time.perf_counter()
        yield
        results[step]["seconds"] = time.perf_counter() - began


def run_steps(url: str, data: bytes, files: Path, results: dict, memory: bool) -> dict:
    from app.core.extensions import db
    from app.organisation.apply import apply_plan
    from app.organisation.plan import plan_import

    app = make_app(url, files)
    with app.app_context():
        with measured(results, "dry run into the empty database", memory):
            plan = plan_import(data)
            db.session.rollback()
        assert plan.ok, plan.problems[:5]
        created = sum(c["created"] for c in plan.counts().values())
        results["dry run into the empty database"]["rows"] = created
        results["import (dry run, apply, commit)"]["rows"] = created
        with measured(results, "import (dry run, apply, commit)", memory):
            plan = plan_import(data)
            apply_plan(plan)
            db.session.commit()
        db.session.remove()
        with measured(results, "dry run of the same workbook again", memory):
            again = plan_import(data)
            db.session.rollback()
        counts = again.counts()
        results["dry run of the same workbook again"]["rows"] = sum(
            c["unchanged"] for c in counts.values()
        )
        db.engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--staff", type=int, default=40, help="staff members per contractor")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="org-import-") as tmp:
        folder = Path(tmp)
        postgres, env = throwaway_instance(folder, args.database)
        try:
            source_url = env["XUNJIAN_DATABASE_URL"]
            source = make_app(source_url, folder / "files")
            with source.app_context():
                from app.core.extensions import db
                from app.organisation.export import export_workbook

                began = time.monotonic()
                db.create_all()
                people_and_places()
                staff_and_accounts(args.staff)
                print(f"organisation built in {time.monotonic() - began:.0f} s")
                steps = [
                    "export",
                    "dry run into the empty database",
                    "import (dry run, apply, commit)",
                    "dry run of the same workbook again",
                ]
                results = {step: {} for step in steps}
                with measured(results, "export", memory=False):
                    data = export_workbook()
                db.session.remove()  # the traced export loads its records afresh
                with measured(results, "export", memory=True):
                    export_workbook()
                results["export"]["rows"] = sum(
                    db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                    for table in ("sites", "contractors", "staff_members", "certificates", "users")
                )
                db.session.remove()
                db.engine.dispose()
            timing = empty_database(source_url, "timing", folder)
            counts = run_steps(timing, data, folder / "files", results, memory=False)
            tracing = empty_database(source_url, "tracing", folder)
            run_steps(tracing, data, folder / "files", results, memory=True)
        finally:
            if postgres:
                postgres.crash()

    print(f"\n{args.database}: a workbook of {len(data) / 2**20:.1f} MB\n")
    print("| step | seconds | peak Python heap (MB) | records |\n|---|---:|---:|---:|")
    for step in steps:
        r = results[step]
        print(f"| {step} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r.get('rows', '')} |")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the whole run: {peak_rss:.0f} MB")
    print("re-import:", counts)
    slow = [s for s in steps[1:3] if results[s]["seconds"] >= LIMIT_SECONDS]
    changes = any(c["created"] or c["changed"] for c in counts.values())
    if slow or changes:
        sys.exit(f"too slow: {slow}" if slow else "the same workbook would change something")


if __name__ == "__main__":
    main()
