"""The one upload limit: a whole request, a photo and a document are held to the same size,
and every refusal says the same thing."""

from flask import current_app
from flask_babel import gettext as _


def upload_limit_bytes() -> int:
    return current_app.config["UPLOAD_LIMIT_MB"] * 1024 * 1024


def too_large_message() -> str:
    return _(
        "Uploads may be at most %(mb)d MB at a time. Photos taken here are made smaller on "
        "the phone; send fewer or smaller files.",
        mb=current_app.config["UPLOAD_LIMIT_MB"],
    )


def is_too_large(data: bytes) -> bool:
    return len(data) > upload_limit_bytes()
