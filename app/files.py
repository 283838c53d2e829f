"""The file store: every file the app keeps besides the database, named by its content.

Photos and their thumbnails, external checks' PDFs and published bulletins all live under
the upload folder (`UPLOAD_DIR`, which backups archive whole), each under the SHA-256 of
what it holds (a thumbnail under its photo's). A file is written beside its final name,
flushed to disk and renamed, and the rename is flushed too: a crash leaves either the whole
file or none, never a truncated one under its final name. A file once stored never changes,
so storing the same content again writes nothing.

This is the one place that knows where files live (object storage plugs in here).
"""

import os
import re
import secrets
from enum import Enum
from pathlib import Path

from flask import abort, current_app, send_file

DIGEST = re.compile(r"^[0-9a-f]{64}$")


class Kind(Enum):
    """What a stored file is, and so where it lives: (folder, name after the digest)."""

    PHOTO = ("", ".jpg")
    THUMB = ("", "_thumb.jpg")
    DOCUMENT = ("documents", ".pdf")
    BULLETIN = ("bulletins", ".pdf")


def stored_path(kind: Kind, digest: str) -> Path:
    """Where a stored file lives; only a well-formed SHA-256 names one."""
    if not DIGEST.match(digest or ""):
        raise ValueError("not a SHA-256 digest")
    folder, suffix = kind.value
    return Path(current_app.config["UPLOAD_DIR"]) / folder / digest[:2] / f"{digest}{suffix}"


def is_stored(kind: Kind, digest: str) -> bool:
    return stored_path(kind, digest).is_file()


def store(kind: Kind, digest: str, data: bytes) -> None:
    """Keep `data` under `digest`, durably, unless it is kept already."""
    path = stored_path(kind, digest)
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename reaches the disk before the row that names it commits
    finally:
        os.close(directory)


def send_stored(kind: Kind, digest: str, mimetype: str, download_name: str | None = None):
    """Answer with a stored file. The caller has checked who may see it, so only the browser
    keeps a copy, never a shared cache."""
    path = stored_path(kind, digest)
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=mimetype, download_name=download_name, max_age=3600, conditional=True
    )
    response.cache_control.public = False
    response.cache_control.private = True
    return response
