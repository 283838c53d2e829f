"""Benchmark: what stamping an evidence photo adds to its upload.

Run on demand (never in the test suite):

    .venv/bin/python bench/stamping.py [--repeat 20]

Makes `--repeat` different phone photos (12 MP, 4000x3000 JPEG at quality 90, with noise over
a gradient so they compress like real ones, about 5 MB each) and, in a throwaway app whose
files go to a folder on this machine, times for each photo `store_photo` alone (decode, turn
upright, downscale to 2560 px, re-encode, thumbnail, write) and `store_photo` followed by
stamping the stored picture (a band of six lines of Chinese text, re-encoded, thumbnailed,
written). It prints p50/p95 of both and of the time stamping adds; the target is under 100 ms.
"""

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_faults import median_and_p95  # noqa: E402

TARGET_MS = 100
LINES = [
    "拍摄 2026-12-07 08:01:02　接收 2026-12-07 08:01:09",
    "地点 机关大院 / 食堂 / 后厨",
    "拍摄人 张巡查",
    "检查点 CAT-01 食品留样 48 小时",
    "位置 32.06030, 118.79690 ±12 m",
]


def phone_photo(n: int, size=(4000, 3000)) -> bytes:
    from PIL import Image

    noise = Image.effect_noise(size, 30 + n % 20)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, gradient, noise.point(lambda v: (v + 7 * n) % 256)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def measure(photos: list[bytes], folder: Path) -> dict[str, list[float]]:
    from app import create_app
    from app.core.photos import store_photo
    from app.core.stamping import stamp_photo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "SECRET_KEY": "bench",
            "UPLOAD_DIR": str(folder / "files"),
        }
    )
    times = {"store_photo": [], "store_photo + stamp": [], "stamping adds": []}
    with app.app_context():
        stamp_photo(store_photo(phone_photo(999)).digest, LINES)  # warm up: font, codecs
        for data in photos:
            began = time.perf_counter()
            stored = store_photo(data)
            stored_at = time.perf_counter()
            stamp_photo(stored.digest, LINES, stored.image)
            stamped_at = time.perf_counter()
            times["store_photo"].append((stored_at - began) * 1000)
            times["store_photo + stamp"].append((stamped_at - began) * 1000)
            times["stamping adds"].append((stamped_at - stored_at) * 1000)
        app.extensions["file_store"].close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="photos to time (default 20)")
    args = parser.parse_args()
    photos = [phone_photo(n) for n in range(args.repeat)]
    size_mb = sum(map(len, photos)) / len(photos) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        times = measure(photos, Path(tmp))
    print(f"{args.repeat} photos of 4000x3000, {size_mb:.1f} MB each on average")
    print(f"{'step':<22}{'p50 ms':>9}{'p95 ms':>9}")
    for step, taken in times.items():
        p50, p95 = median_and_p95(taken)
        print(f"{step:<22}{p50:>9.1f}{p95:>9.1f}")
    added = median_and_p95(times["stamping adds"])[0]
    verdict = "under" if added < TARGET_MS else "OVER"
    print(f"stamping adds {added:.0f} ms to an upload (p50): {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
