"""Benchmark: uploading and opening a photo with the files in a local folder and in object
storage, and the ratio between them.

Run on demand (never in the test suite):

    .venv/bin/python bench/storage.py [--repeat 60]

It starts moto's S3 API server on this machine (an in-memory stand-in: a real Ceph or OSS
adds its own network and disk time), makes a throwaway SQLite instance with one inspector
and a draft checklist, and through the app (the same routes a phone calls) uploads
`--repeat` different phone photos (2000x1500 JPEG, re-encoded and thumbnailed by the app)
and opens each one whole and as a thumbnail, first on the local folder, then on the object
store. It prints p50/p95 per step and back end, and object store / local folder.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import median_and_p95  # noqa: E402


def phone_photo(n: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (2000, 1500), (40 + n % 200, 120, 180))
    draw = ImageDraw.Draw(image)
    for step in range(0, 2000, 40):  # detail, so the JPEG is the size of a real one
        draw.line([(step, 0), (2000 - step, 1500)], fill=((step * 7 + n) % 255, 60, 90), width=9)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def measure(settings: dict, photos: list[bytes], tmp: Path) -> dict[str, list[float]]:
    from app import create_app
    from app.core.extensions import db

    folder = tmp / settings["name"]
    folder.mkdir()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_DIR": str(folder / "files"),
            **settings["config"],
        }
    )
    times = {"upload": [], "open photo": [], "open thumbnail": []}
    with app.app_context():
        db.create_all()
        url = draft_item_photos_url()
        client = inspector_client(app)
        times["upload"] = upload(client, url, photos)
        times["open photo"], times["open thumbnail"] = open_uploaded(client)
        app.extensions["file_store"].close()
        db.session.remove()
        db.engine.dispose()
    return times


def draft_item_photos_url() -> str:
    """A draft checklist of one check point by the inspector `bench`; where its item's
    photos are posted."""
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import CheckCategory, CheckPoint, ServiceLine, Severity, Site, SiteKind
    from app.core.extensions import db
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Scope
    from tests.helpers import PASSWORD

    line = ServiceLine(code="CLN", name="保洁服务")
    category = CheckCategory(service_line=line, name="公共区域")
    point = CheckPoint(
        category=category,
        code="B-1",
        title="大堂地面",
        standard="无水渍",
        severity=Severity.GENERAL,
        deduction=Decimal("1"),
    )
    site = Site(name="办公楼", kind=SiteKind.BUILDING, code="B1")
    db.session.add_all([line, category, point, site])
    inspector = create_user("bench", "巡查员", Role.INSPECTOR, PASSWORD)
    db.session.commit()
    draft = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    db.session.commit()
    return f"/inspections/{draft.id}/items/{draft.items[0].id}/photos"


def inspector_client(app):
    from tests.helpers import PASSWORD

    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    return client


def upload(client, url: str, photos: list[bytes]) -> list[float]:
    """Milliseconds to upload each photo, after one unmeasured upload that warms up."""
    phone = {"HX-Request": "true"}  # as the checklist sends it: the item comes back
    client.post(url, data={"photo": (io.BytesIO(phone_photo(999)), "warm.jpg")}, headers=phone)
    times = []
    for data in photos:
        began = time.perf_counter()
        answer = client.post(url, data={"photo": (io.BytesIO(data), "p.jpg")}, headers=phone)
        times.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            sys.exit(f"upload answered {answer.status_code}")
    return times


def open_uploaded(client) -> tuple[list[float], list[float]]:
    """Milliseconds to open each measured upload whole, and as a thumbnail."""
    from app.core.extensions import db
    from app.inspections.models import InspectionPhoto

    times = {"": [], "?size=thumb": []}
    ids = db.session.scalars(db.select(InspectionPhoto.id).order_by(InspectionPhoto.id))
    for photo_id in list(ids)[1:]:  # not the warm-up's
        for query, taken in times.items():
            began = time.perf_counter()
            answer = client.get(f"/inspections/photos/{photo_id}{query}")
            answer.get_data()
            taken.append((time.perf_counter() - began) * 1000)
            answer.close()
            if answer.status_code != 200:
                sys.exit(f"opening a photo answered {answer.status_code}")
    return times[""], times["?size=thumb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    from tests.s3_server import CREDENTIALS, ObjectStoreServer

    os.environ.update(CREDENTIALS)
    photos = [phone_photo(n) for n in range(args.repeat)]
    with tempfile.TemporaryDirectory(prefix="xunjian-storage-") as tmp:
        tmp = Path(tmp)
        server = ObjectStoreServer(tmp / "moto.log")
        server.start()
        try:
            results = {
                "local folder": measure({"name": "folder", "config": {}}, photos, tmp),
                "object store": measure(
                    {"name": "s3", "config": server.settings("bench")}, photos, tmp
                ),
            }
        finally:
            server.stop()
    size = sum(len(p) for p in photos) / len(photos) / 1024
    print(f"{args.repeat} photos of {size:.0f} KB each, moto's S3 server on this machine\n")
    print("| step | folder p50 ms | folder p95 ms | S3 p50 ms | S3 p95 ms | S3/folder p50 |")
    print("|---|---|---|---|---|---|")
    for step in results["local folder"]:
        local = median_and_p95(results["local folder"][step])
        remote = median_and_p95(results["object store"][step])
        print(
            f"| {step} | {local[0]:.1f} | {local[1]:.1f} | {remote[0]:.1f} | {remote[1]:.1f} "
            f"| {remote[0] / local[0]:.2f} |"
        )


if __name__ == "__main__":
    main()
