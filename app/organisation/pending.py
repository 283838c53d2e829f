"""Uploaded workbooks waiting for the administrator's confirmation: kept in the instance
folder under a random name tied to the uploader, so that the confirmation applies the very
bytes the dry run showed; removed once used, or after a day."""

import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _folder() -> Path:
    return Path(current_app.instance_path) / "imports"


def _path(token: str, user_id: int) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    return _folder() / f"{user_id}-{token}.xlsx"


def keep_upload(data: bytes, user_id: int) -> str:
    """Keep an upload for its uploader; the token names it in the review's address."""
    discard_expired()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path = _path(token, user_id)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    now = time.time()
    os.utime(temporary, (now, now))  # kept since this clock's now, as its age is reckoned
    temporary.replace(path)
    return token


def read_upload(token: str, user_id: int) -> bytes | None:
    """The kept upload, or None if there is none (never made, used, expired, another's)."""
    path = _path(token, user_id)
    if path is None or not path.is_file():
        return None
    if time.time() - path.stat().st_mtime > KEEP_SECONDS:
        path.unlink(missing_ok=True)
        return None
    return path.read_bytes()


def discard_upload(token: str, user_id: int) -> None:
    path = _path(token, user_id)
    if path is not None:
        path.unlink(missing_ok=True)


def discard_expired() -> None:
    folder = _folder()
    if not folder.is_dir():
        return
    now = time.time()
    for path in folder.glob("*.xlsx"):
        try:
            if now - path.stat().st_mtime > KEEP_SECONDS:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # another worker removed it first
