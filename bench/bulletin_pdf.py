"""Benchmark: build and render the monthly bulletin PDF for a large bureau.

Run on demand (never in the test suite):

    .venv/bin/python bench/bulletin_pdf.py --contractors 50 --findings 1000

It fills a throwaway SQLite database (or XUNJIAN_DATABASE_URL) with the contractors, their
lines and the month's submitted inspections and findings, then times the figures
(`bulletin_data`) and the WeasyPrint render, and reports the process's peak memory.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fill(contractors: int, findings: int) -> str:
    """The contractors, each on two random lines, and the month's findings, twenty to a
    submitted inspection; the month they fall in."""
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import ServiceLine, SiteKind
    from app.catalog.standards_io import load_default_catalogue
    from app.core.extensions import db
    from app.core.timeutil import local_today, month_of, utcnow
    from app.demo import factories
    from app.inspections.models import Tier

    rng = random.Random(1)
    load_default_catalogue()
    lines = db.session.query(ServiceLine).all()
    site = factories.site("基准园区", SiteKind.COMPOUND, code="BENCH")
    inspector = create_user("bench", "压测", Role.INSPECTOR, "bench-pass-1")
    today = local_today()
    companies = [
        factories.contractor(
            name=f"基准服务公司{n:02d}",
            short_name=f"基准{n:02d}",
            contract_start=today - timedelta(days=400),
            contract_end=today + timedelta(days=400),
            service_lines=rng.sample(lines, 2),
            sites=[site],
        )
        for n in range(contractors)
    ]
    now = utcnow()
    per_inspection = 20
    for start in range(0, findings, per_inspection):
        company = rng.choice(companies)
        tier = rng.choice(list(Tier))
        points = [
            rng.choice(company.service_lines).categories[0].check_points[0]
            for _ in range(min(per_inspection, findings - start))
        ]
        factories.failed_inspection(company, site, inspector, points, now, tier)
    db.session.commit()

    return month_of(now)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contractors", type=int, default=50)
    parser.add_argument("--findings", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("XUNJIAN_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        from app import create_app
        from app.assessments.bulletins import bulletin_data
        from app.assessments.models import Bulletin
        from app.core.extensions import db
        from app.core.pdf import render_pdf

        app = create_app({"SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            month = fill(args.contractors, args.findings)
            with app.test_request_context(base_url="http://localhost/"):
                began = time.perf_counter()
                data = bulletin_data(month)
                figures = time.perf_counter() - began
                began = time.perf_counter()
                pdf = render_pdf(
                    "assessments/bulletin_pdf.html", bulletin=Bulletin(month=month), data=data
                )
                rendering = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.contractors} contractors, {args.findings} findings in {month}")
    print(
        f"figures {figures:.2f}s, PDF render {rendering:.2f}s, {len(pdf) / 1024:.0f} KiB, "
        f"peak memory {peak_mb:.0f} MiB"
    )


if __name__ == "__main__":
    main()
