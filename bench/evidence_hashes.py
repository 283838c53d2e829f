"""Benchmark: what finding a photo used before costs with five years of photos on record.

Run on demand (never in the test suite):

    .venv/bin/python bench/evidence_hashes.py [--photos 200000]

It makes a throwaway SQLite database with `--photos` inspection photos (bench/scale.py's five
years hold about 200,000), each with a random digest and perceptual hash (and its hash bands), and
times app.core.evidence.find_earlier_use for a photo that matches nothing, as a new photo
mostly does: the digest query, then the bands that could be close.
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.core.evidence import HashBand, _bands, find_earlier_use  # noqa: E402
from app.core.extensions import db  # noqa: E402
from app.inspections.models import InspectionPhoto  # noqa: E402


def fill(count: int) -> None:
    rng = random.Random(33)
    rows = [
        {
            "item_id": 1,
            "digest": f"{rng.getrandbits(256):064x}",
            "width": 800,
            "height": 600,
            "phash": f"{rng.getrandbits(64):016x}",
            "uploaded_by_id": 1,
            "uploaded_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for _ in range(count)
    ]
    bands = [
        {
            "photo_kind": "inspection",
            "photo_id": n,
            "band": band,
            "value": value,
            "phash": row["phash"],
        }
        for n, row in enumerate(rows, start=1)
        for band, value in enumerate(_bands(row["phash"]))
    ]
    with db.engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.execute(sa.insert(InspectionPhoto.__table__), rows)
        connection.execute(sa.insert(HashBand.__table__), bands)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                "UPLOAD_DIR": folder,
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            db.create_all()
            fill(args.photos)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                find_earlier_use("0" * 64, "0123456789abcdef", "inspection", 2, 0)
                times.append(time.perf_counter() - started)
            print(
                f"{args.photos} photos: best {min(times) * 1000:.0f} ms, "
                f"worst {max(times) * 1000:.0f} ms per upload"
            )


if __name__ == "__main__":
    main()
