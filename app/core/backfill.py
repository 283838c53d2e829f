"""Evidence photos stored before the stamps and the reuse checks: their stamped copies drawn
and their perceptual hashes worked out and indexed, a batch at a time.

A bureau upgrading from an earlier version has years of photos with neither: pages show them
unstamped, and a new photo reusing one is found only when it is the very same file. Each
domain describes its photo rows (PhotoBackfill) with the function its upload path draws the
stamp's lines with; `backfill` walks a table by id, committing each batch, so that it can be
stopped at any point and run again: a row done is never read again. Old photos are not checked
against each other (no mark is made): they were sent before the checks, and marks are counted
per contractor by the month they were sent in. Only photos sent from now on are checked
against them.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from PIL import Image

from app.core.evidence import HashBand, index_hash, picture_hash
from app.core.extensions import db
from app.core.stamping import StampFacts, stamp_photo, stored_picture

BATCH_SIZE = 100


@dataclass(frozen=True)
class PhotoBackfill:
    """One domain's evidence photo rows, for bringing the older ones up to date."""

    kind: str  # as in the marks and the hash bands ("inspection"); "receipt" keeps no hash
    model: type
    facts: Callable[[Any], StampFacts]  # what a row's stamp says, as its upload path says it
    digest: str = "digest"  # the columns of the photo as it arrived and of its stamped copy
    stamped: str = "stamped_digest"
    hashed: bool = True  # the rows keep a perceptual hash (`phash`), indexed for reuse
    then: Callable[[Any], None] | None = None  # what follows a row's new stamped copy


@dataclass
class BackfillCounts:
    stamped: int = 0
    hashed: int = 0
    missing: int = 0  # rows left as they were: their photo is not in the file store


def backfill(
    fill: PhotoBackfill,
    batch_size: int = BATCH_SIZE,
    missing: Callable[[str, int, str], None] = lambda kind, row_id, digest: None,
) -> BackfillCounts:
    """Stamp and hash this kind's rows that lack either, `batch_size` rows a transaction;
    `missing` hears of each row (kind, id, digest) whose photo is not in the file store (or
    cannot be decoded)."""
    counts, after = BackfillCounts(), 0
    while rows := _undone(fill, after, batch_size):
        after = rows[-1].id
        if fill.hashed:
            _forget_bands(fill.kind, [row.id for row in rows if row.phash is None])
        for row in rows:
            if not _bring_up_to_date(fill, row, counts):
                counts.missing += 1
                missing(fill.kind, row.id, getattr(row, fill.digest))
        db.session.commit()
        db.session.expunge_all()  # the batch's rows and all they loaded: memory stays flat
    return counts


def _undone(fill: PhotoBackfill, after: int, size: int) -> list:
    """The next rows after id `after` that lack a stamped copy or a hash."""
    model = fill.model
    undone = getattr(model, fill.stamped).is_(None)
    if fill.hashed:
        undone = sa.or_(undone, model.phash.is_(None))
    query = (
        sa.select(model)
        .where(model.id > after, getattr(model, fill.digest).is_not(None), undone)
        .order_by(model.id)
        .limit(size)
    )
    return list(db.session.scalars(query))


def _forget_bands(kind: str, photo_ids: list[int]) -> None:
    """Bands left under these ids (by a deleted photo whose id came back) would clash."""
    if photo_ids:
        db.session.execute(
            sa.delete(HashBand).where(HashBand.photo_kind == kind, HashBand.photo_id.in_(photo_ids))
        )


def _bring_up_to_date(fill: PhotoBackfill, row, counts: BackfillCounts) -> bool:
    """Hash and stamp one row from its stored photo; False if that photo cannot be read."""
    digest = getattr(row, fill.digest)
    try:
        image = stored_picture(digest)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        image = None
    if image is None:
        return False
    if fill.hashed and row.phash is None:
        row.phash = picture_hash(image)
        index_hash(fill.kind, row.id, row.phash)
        counts.hashed += 1
    if getattr(row, fill.stamped) is None:
        facts = fill.facts(row)
        facts = replace(facts, taken_at=_as_the_camera_showed(facts.taken_at))
        setattr(row, fill.stamped, stamp_photo(digest, facts.lines(), image))
        counts.stamped += 1
        if fill.then is not None:
            fill.then(row)
    return True


def _as_the_camera_showed(taken_at: datetime | None) -> datetime | None:
    """A photo's time as its row gives it back, read as the camera's clock showed it. The
    upload path keeps the camera's local time, which has no zone, in a column with one: SQLite
    gives it back as written, PostgreSQL as that wall time in the server's zone (read as an
    instant, 8 hours late on a server on UTC). A time the phone reported instead (a checklist
    photo whose file had none) was an instant, so this shows it in the server's zone, UTC on
    SQLite; the rows do not say which they hold, and the camera's are by far the more common
    (a fix photo's time is always the camera's)."""
    return taken_at.replace(tzinfo=None) if taken_at is not None else None
