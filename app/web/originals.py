"""The unmarked originals a phone sends beside photos it marked up.

The form carries one `original` file per photo, in the same order as the photos; an empty
part (or none at all) stands for a photo that was not marked up.
"""

from flask import request

ORIGINAL_FIELD = "original"


def unmarked_originals(photo_count: int) -> list[bytes | None]:
    """One entry per photo: the bytes of its unmarked original, or None."""
    sent = [upload.read() or None for upload in request.files.getlist(ORIGINAL_FIELD)]
    return [*sent[:photo_count], *[None] * (photo_count - len(sent))]
