"""The unmarked originals a phone sends beside photos it marked up.

The form carries one `original` file per photo, in the same order as the photos; an empty
part (or none at all) stands for a photo that was not marked up.
"""

from flask import abort, request

from app.core.photos import send_photo

ORIGINAL_FIELD = "original"


def unmarked_originals(photo_count: int) -> list[bytes | None]:
    """One entry per photo: the bytes of its unmarked original, or None."""
    sent = [upload.read() or None for upload in request.files.getlist(ORIGINAL_FIELD)]
    return [*sent[:photo_count], *[None] * (photo_count - len(sent))]


def send_original(digest: str | None, unmarked_digest: str | None):
    """The photo as it arrived, byte for byte, before it was stamped; with `?unmarked=1`, the
    unmarked original sent beside a marked-up photo. 404 if there is none."""
    wanted = unmarked_digest if request.args.get("unmarked") else digest
    if not wanted:
        abort(404)
    return send_photo(wanted)
