"""Static files: served by WhiteNoise under a path named by their content, so a browser keeps
them for a year and a new release changes every name; compressed copies (`make static`, which
runs `python -m whitenoise.compress app/static`) go to browsers that take gzip or brotli."""

import hashlib
from functools import cache
from pathlib import Path

from whitenoise import WhiteNoise

STATIC_FOLDER = Path(__file__).parent.parent / "static"
COMPRESSED = {".gz", ".br"}
A_YEAR = 365 * 24 * 3600


@cache
def static_version(folder: Path = STATIC_FOLDER) -> str:
    """A digest of every static file (not their compressed copies)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix not in COMPRESSED:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def static_url_path() -> str:
    return f"/static/{static_version()}"


def drop_stale_copies(folder: Path = STATIC_FOLDER) -> None:
    """Remove compressed copies older than their file (edited since `make static`), which
    WhiteNoise would otherwise send in its place; where they cannot be removed, they stay."""
    for copy in folder.rglob("*"):
        if copy.suffix not in COMPRESSED:
            continue
        original = copy.with_suffix("")
        try:
            if not original.exists() or original.stat().st_mtime > copy.stat().st_mtime:
                copy.unlink(missing_ok=True)
        except OSError:
            pass


def serve_static(app) -> None:
    """Put WhiteNoise in front of the app for everything under the versioned static path."""
    drop_stale_copies()
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(STATIC_FOLDER),
        prefix=app.static_url_path,
        max_age=A_YEAR,
        immutable_file_test=lambda path, url: True,  # every name here changes with its content
        allow_all_origins=False,
    )
