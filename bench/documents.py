"""Benchmark: how long the documents people download one at a time take to render.

Run on demand (never in the test suite):

    .venv/bin/python bench/documents.py [--repeat 20]

It loads the demo into a throwaway SQLite instance, signs in as the manager and downloads a
rectification notice and an inspection report that carry photos, `--repeat` times each after
one unmeasured download, through the app (query, template, WeasyPrint), and prints p50/p95.
"""

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import median_and_p95  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xunjian-documents-") as tmp:
        os.environ.update(
            XUNJIAN_DATABASE_URL=f"sqlite:///{tmp}/demo.db",
            XUNJIAN_UPLOAD_DIR=f"{tmp}/photos",
            XUNJIAN_SECRET_KEY="bench",
        )
        import sqlalchemy as sa

        from app import create_app
        from app.core.extensions import db
        from app.demo import seed_demo
        from app.inspections.models import Finding, InspectionPhoto
        from app.notices.models import NoticeItem

        app = create_app({"WTF_CSRF_ENABLED": False})
        with app.app_context():
            db.create_all()
            seed_demo()
            with_photo = sa.select(Finding).join(
                InspectionPhoto, InspectionPhoto.item_id == Finding.item_id
            )
            inspection_id = db.session.scalar(with_photo.with_only_columns(Finding.inspection_id))
            notice_id = db.session.scalar(
                with_photo.join(NoticeItem, NoticeItem.finding_id == Finding.id).with_only_columns(
                    NoticeItem.notice_id
                )
            )
        gc.freeze()  # as wsgi.py does: the demo's objects stay out of the collector's passes
        client = app.test_client()
        client.post("/login", data={"username": "manager", "password": "demo12345"})
        print("| document | p50 ms | p95 ms |\n|---|---|---|")
        for name, url in (
            ("rectification notice", f"/notices/{notice_id}.pdf"),
            ("inspection report", f"/inspections/{inspection_id}.pdf"),
        ):
            client.get(url)
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                answer = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200:
                    sys.exit(f"{url} answered {answer.status_code}")
            median, p95 = median_and_p95(times)
            print(f"| {name} | {median:.0f} | {p95:.0f} |")


if __name__ == "__main__":
    main()
