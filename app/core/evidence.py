"""Marks on evidence photos: taken far from the place, used before, or taken at an odd time;
and on check-ins (a scan of a place's QR code) made far from the place.

A mark never refuses a photo (indoor GPS is poor, phones' clocks drift); it tells the
supervisors what to look at twice and is counted per contractor. The photo rows belong to
the domains, so a mark names its photo by kind and id, and each domain registers its photo
table here (PhotoSource) so that a photo used before is found whichever domain holds it.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import imagehash
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.extensions import LabelledEnum, db
from app.core.timeutil import LOCAL_TZ, as_utc, utcnow

EARTH_RADIUS_M = 6_371_008.8
# Two perceptual hashes this close (bits of 64) are the same picture re-encoded or resized;
# different photos of one place differ by far more (tests/core/test_evidence.py measures it).
SAME_PICTURE_DISTANCE = 8


class MarkKind(LabelledEnum):
    FAR_FROM_PLACE = "far_from_place"
    REUSED = "reused"
    TAKEN_BEFORE_NOTICE = "taken_before_notice"
    TAKEN_LONG_BEFORE_SENT = "taken_long_before_sent"
    NOT_TAKEN_NOW = "not_taken_now"


MarkKind.LABELS = {
    MarkKind.FAR_FROM_PLACE: _l("Far from the place"),
    MarkKind.REUSED: _l("Photo used before"),
    MarkKind.TAKEN_BEFORE_NOTICE: _l("Taken before the notice was issued"),
    MarkKind.TAKEN_LONG_BEFORE_SENT: _l("Taken long before it was sent"),
    MarkKind.NOT_TAKEN_NOW: _l("Not taken now"),
}


class EvidenceMark(db.Model):
    """One thing to look at twice about one photo (or one check-in, which names the record it
    started as its "photo"); `detail` holds what the words need."""

    __tablename__ = "evidence_marks"
    __table_args__ = (sa.Index("ix_evidence_marks_photo", "photo_kind", "photo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    photo_id: Mapped[int] = mapped_column(nullable=False)
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True, index=True
    )
    kind: Mapped[MarkKind] = mapped_column(
        sa.Enum(
            MarkKind,
            native_enum=False,
            length=32,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
            create_constraint=True,
            name="markkind",
        ),
        nullable=False,
    )
    detail: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    marked_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )

    @property
    def words(self) -> str:
        """What a supervisor reads beside the photo."""
        if self.kind == MarkKind.FAR_FROM_PLACE:
            return _("About %(metres)s m from the place", metres=self.detail.get("metres"))
        if self.kind == MarkKind.REUSED:
            source = SOURCES.get(self.detail.get("source"))
            what = f"{source.noun if source else ''} {self.detail.get('ref', '')}".strip()
            return _("Same photo as on %(what)s", what=what)
        if self.kind == MarkKind.TAKEN_LONG_BEFORE_SENT:
            return _("Taken %(hours)s hours before it was sent", hours=self.detail.get("hours"))
        if self.kind == MarkKind.NOT_TAKEN_NOW:
            return _("Not taken now: taken %(minutes)s minutes before", **self.detail)
        return self.kind.label

    @property
    def link(self) -> str | None:
        return self.detail.get("path")


# -- where a photo is --------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where the phone said it was (Geolocation API)."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None

    @classmethod
    def read(cls, latitude, longitude, accuracy) -> "Position | None":
        """A position from what a form sent: None for anything that is no place on Earth (a
        position is never required, so what cannot be read is left out, not refused); an
        accuracy that is no distance is left out alone."""
        try:
            latitude, longitude = float(latitude), float(longitude)
        except (TypeError, ValueError):
            return None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None
        try:
            accuracy_m = float(accuracy)
        except (TypeError, ValueError):
            accuracy_m = None
        if accuracy_m is not None and not 0 <= accuracy_m < math.inf:
            accuracy_m = None
        return cls(latitude, longitude, accuracy_m)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def metres_too_far(
    position: Position | None, place: tuple[float, float] | None, radius_m: float
) -> int | None:
    """How far (whole metres) the position is from the place when that is farther than the
    radius plus the accuracy the phone reported; None when near, or when either is unknown."""
    if position is None or place is None:
        return None
    metres = distance_m(position.latitude, position.longitude, *place)
    return round(metres) if metres > radius_m + (position.accuracy_m or 0) else None


# -- what a photo shows --------------------------------------------------------------------


def picture_hash(image: Image.Image) -> str:
    """The picture's perceptual hash (16 hex digits): equal or close for the same picture
    re-encoded, resized or lightly recompressed."""
    return str(imagehash.phash(image))


def hash_distance(one: str, other: str) -> int:
    """How many of the 64 bits differ."""
    return (int(one, 16) ^ int(other, 16)).bit_count()


# A hash is cut in four bands of 16 bits: two hashes at most SAME_PICTURE_DISTANCE (8) bits
# apart differ by at most 2 bits in one band at least, so the candidates are found through
# the bands' index (137 values a band) instead of by reading every hash on record.
BANDS, BAND_BITS = 4, 16


class HashBand(db.Model):
    """One band of a stored photo's perceptual hash, indexed for finding the same picture."""

    __tablename__ = "photo_hash_bands"
    __table_args__ = (sa.Index("ix_photo_hash_bands_band_value", "band", "value"),)

    photo_kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    photo_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    band: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(nullable=False)
    phash: Mapped[str] = mapped_column(sa.String(16), nullable=False)


def _bands(phash: str) -> list[int]:
    whole = int(phash, 16)
    return [(whole >> (BAND_BITS * band)) & 0xFFFF for band in range(BANDS)]


def _near(value: int) -> list[int]:
    """The band values at most 2 bits (SAME_PICTURE_DISTANCE // BANDS) from `value`, itself
    included: 137 of them."""
    flips = [1 << bit for bit in range(BAND_BITS)]
    pairs = [a | b for i, a in enumerate(flips) for b in flips[i + 1 :]]
    return [value] + [value ^ flip for flip in flips + pairs]


def index_hash(kind: str, photo_id: int, phash: str) -> None:
    db.session.add_all(
        HashBand(photo_kind=kind, photo_id=photo_id, band=band, value=value, phash=phash)
        for band, value in enumerate(_bands(phash))
    )


def _close_hashes(phash: str) -> list[tuple[str, int]]:
    """The photos (kind, id) whose hash is within SAME_PICTURE_DISTANCE of this one."""
    near = sa.or_(
        *(
            sa.and_(HashBand.band == band, HashBand.value.in_(_near(value)))
            for band, value in enumerate(_bands(phash))
        )
    )
    rows = db.session.execute(
        sa.select(HashBand.photo_kind, HashBand.photo_id, HashBand.phash).where(near).distinct()
    )
    return [
        (kind, photo_id)
        for kind, photo_id, other in rows
        if hash_distance(other, phash) <= SAME_PICTURE_DISTANCE
    ]


@dataclass(frozen=True)
class PhotoSource:
    """A domain's photo table, for finding a photo used before: `owner` is the column of
    what the photo is evidence for (an item, a complaint); `place` gives the path and the
    reference of the record a photo of this table is on, for a mark's link."""

    kind: str
    table: sa.Table
    owner: str
    noun: str  # what the record is called ("notice"), lazily translated
    place: Callable[[int], tuple[str, str]]


SOURCES: dict[str, PhotoSource] = {}


def register_photo_source(source: PhotoSource) -> None:
    SOURCES[source.kind] = source
    register_marked_table(source.kind, source.table)


# Marks and hash bands name what they are about by kind and id, with no foreign key (the rows
# belong to the domains), so they are removed with their row here: left behind, they would
# be another row's once SQLite gives the removed row's id to the next one.
MARKED_TABLES: dict[str, sa.Table] = {}


def register_marked_table(kind: str, table: sa.Table) -> None:
    MARKED_TABLES[kind] = table


@sa.event.listens_for(Session, "after_flush")
def _forget_removed(session: Session, _context) -> None:
    removed: dict[str, list[int]] = {}
    for row in session.deleted:
        for kind, table in MARKED_TABLES.items():
            if getattr(row, "__table__", None) is table:
                removed.setdefault(kind, []).append(row.id)
    unsynchronised = {"synchronize_session": False}
    for kind, ids in removed.items():
        for model in (HashBand, EvidenceMark):
            session.execute(
                sa.delete(model).where(model.photo_kind == kind, model.photo_id.in_(ids)),
                execution_options=unsynchronised,
            )


@dataclass(frozen=True)
class EarlierUse:
    kind: str
    photo_id: int
    path: str
    ref: str


def find_earlier_use(digest: str, phash: str | None, kind: str, owner_id: int, photo_id: int):
    """The first photo on record, for something other than this photo's owner, that is the
    same file or the same picture (phash within SAME_PICTURE_DISTANCE); None if there is none.

    Three queries at most, whatever the number of photos: the digest through each table's
    index; when no file matches, the hash bands (HashBand) that could be close; then the
    photos whose hashes are."""
    uses = _uses(lambda source: source.table.c.digest == digest, kind, owner_id, photo_id)
    if not uses and phash:
        close: dict[str, list[int]] = {}
        for other_kind, other_id in _close_hashes(phash):
            close.setdefault(other_kind, []).append(other_id)
        if close:
            uses = _uses(
                lambda source: source.table.c.id.in_(close.get(source.kind, [])),
                kind,
                owner_id,
                photo_id,
            )
    found = min(uses, default=None, key=lambda use: (use.uploaded_at, use.kind, use.id))
    if found is None:
        return None
    path, ref = SOURCES[found.kind].place(found.id)
    return EarlierUse(found.kind, found.id, path, ref)


def _uses(condition, kind: str, owner_id: int, photo_id: int) -> list["Use"]:
    selects = []
    for source in SOURCES.values():
        table = source.table
        query = sa.select(
            sa.literal(source.kind).label("kind"), table.c.id, table.c.uploaded_at
        ).where(condition(source))
        if source.kind == kind:
            query = query.where(table.c[source.owner] != owner_id, table.c.id != photo_id)
        selects.append(query)
    if not selects:
        return []
    rows = db.session.execute(sa.union_all(*selects))
    return [Use(kind, id, as_utc(at)) for kind, id, at in rows]


class Use(NamedTuple):
    kind: str
    id: int
    uploaded_at: datetime


# -- when a photo was taken ----------------------------------------------------------------


def camera_time(taken_at: datetime | None) -> datetime | None:
    """A photo's time as an aware datetime: the camera writes its local clock with no zone
    (the bureau's zone, Asia/Shanghai); the phone's file time arrives with one."""
    if taken_at is None:
        return None
    return taken_at.replace(tzinfo=LOCAL_TZ) if taken_at.tzinfo is None else taken_at


@dataclass
class PhotoFacts:
    """What the checks need about one stored photo."""

    kind: str
    photo_id: int
    owner_id: int
    contractor_id: int | None
    digest: str
    phash: str | None
    taken_at: datetime | None  # the camera's (naive, local) or the phone's (aware)
    sent_at: datetime
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None

    @classmethod
    def of(cls, kind: str, photo, *, owner_id: int, contractor_id: int | None) -> "PhotoFacts":
        """The facts of a stored photo row of any kind; a kind that keeps no camera time or
        location has None for them."""
        return cls(
            kind=kind,
            photo_id=photo.id,
            owner_id=owner_id,
            contractor_id=contractor_id,
            digest=photo.digest,
            phash=photo.phash,
            taken_at=getattr(photo, "taken_at", None),
            sent_at=photo.uploaded_at,
            latitude=getattr(photo, "latitude", None),
            longitude=getattr(photo, "longitude", None),
            accuracy_m=getattr(photo, "accuracy_m", None),
        )


def write_mark(
    kind: MarkKind,
    record_kind: str,
    record_id: int,
    contractor_id: int | None,
    at: datetime,
    detail: dict,
) -> EvidenceMark:
    """Add a mark to the session: on a photo (its kind and id), or on the record a check-in
    started; `contractor_id` is whose evidence it is, if anyone's."""
    row = EvidenceMark(
        photo_kind=record_kind,
        photo_id=record_id,
        contractor_id=contractor_id,
        kind=kind,
        detail=detail,
        marked_at=at,
    )
    db.session.add(row)
    return row


def mark(facts: PhotoFacts, kind: MarkKind, **detail) -> EvidenceMark:
    """Mark a photo, as of the time it was sent."""
    return write_mark(kind, facts.kind, facts.photo_id, facts.contractor_id, facts.sent_at, detail)


def mark_if_far(facts: PhotoFacts, place: tuple[float, float] | None, radius_m: float) -> None:
    """Far: farther from the place than the radius plus the accuracy the phone reported."""
    if facts.latitude is None or facts.longitude is None:
        return
    position = Position(facts.latitude, facts.longitude, facts.accuracy_m)
    metres = metres_too_far(position, place, radius_m)
    if metres is not None:
        mark(facts, MarkKind.FAR_FROM_PLACE, metres=metres)


def mark_check_in_if_far(
    kind: str,
    record_id: int,
    position: Position | None,
    place: tuple[float, float] | None,
    radius_m: float,
    at: datetime,
) -> EvidenceMark | None:
    """A check-in (a scan of a place's QR code) farther from the place than the radius plus
    the accuracy: marked on the record it starts, with no contractor, since it is the
    inspector's presence and no contractor's evidence (mark_counts leaves it out)."""
    metres = metres_too_far(position, place, radius_m)
    if metres is None:
        return None
    return write_mark(MarkKind.FAR_FROM_PLACE, kind, record_id, None, at, {"metres": metres})


def mark_if_reused(facts: PhotoFacts) -> None:
    """Marked when the same file or picture is on record for something else; the photo's
    hash is then indexed, for the photos to come."""
    use = find_earlier_use(facts.digest, facts.phash, facts.kind, facts.owner_id, facts.photo_id)
    if facts.phash:
        index_hash(facts.kind, facts.photo_id, facts.phash)
    if use is not None:
        first = {"source": use.kind, "photo_id": use.photo_id, "path": use.path, "ref": use.ref}
        mark(facts, MarkKind.REUSED, **first)


def mark_if_taken_long_before(facts: PhotoFacts, gap: timedelta) -> bool:
    """Marked (True) when the photo's time is more than `gap` from the time it was sent."""
    taken = camera_time(facts.taken_at)
    if taken is None or abs(facts.sent_at - taken) <= gap:
        return False
    hours = round(abs(facts.sent_at - taken).total_seconds() / 3600)
    mark(facts, MarkKind.TAKEN_LONG_BEFORE_SENT, hours=hours)
    return True


def mark_if_not_taken_now(facts: PhotoFacts, within: timedelta) -> None:
    """A photo to be taken with the camera there and then: an older camera time is marked
    (a photo without a camera time cannot be judged and is left alone)."""
    taken = camera_time(facts.taken_at)
    if taken is not None and facts.sent_at - taken > within:
        minutes = round((facts.sent_at - taken).total_seconds() / 60)
        mark(facts, MarkKind.NOT_TAKEN_NOW, minutes=minutes)


def mark_if_taken_before(facts: PhotoFacts, issued_at: datetime | None) -> None:
    taken = camera_time(facts.taken_at)
    if taken is not None and issued_at is not None and taken < as_utc(issued_at):
        mark(facts, MarkKind.TAKEN_BEFORE_NOTICE)


# -- showing them -----------------------------------------------------------------------


def marks_for(kind: str, photo_ids) -> dict[int, list[EvidenceMark]]:
    """The marks of these photos, by photo id, in one query."""
    ids = list(photo_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(EvidenceMark)
        .where(EvidenceMark.photo_kind == kind, EvidenceMark.photo_id.in_(ids))
        .order_by(EvidenceMark.id)
    )
    found: dict[int, list[EvidenceMark]] = {}
    for row in rows:
        found.setdefault(row.photo_id, []).append(row)
    return found


def mark_counts(since: datetime, until: datetime, contractor_ids=None, photos=None) -> dict:
    """How many marks each contractor's photos got in the period: {contractor_id: {kind: n}};
    with `photos` ({photo kind: a SELECT of photo ids}), only those photos' marks count."""
    query = (
        sa.select(EvidenceMark.contractor_id, EvidenceMark.kind, sa.func.count())
        .where(
            EvidenceMark.contractor_id.is_not(None),
            EvidenceMark.marked_at >= since,
            EvidenceMark.marked_at < until,
        )
        .group_by(EvidenceMark.contractor_id, EvidenceMark.kind)
    )
    if contractor_ids is not None:
        query = query.where(EvidenceMark.contractor_id.in_(contractor_ids))
    if photos is not None:
        query = query.where(
            sa.or_(
                sa.false(),
                *(
                    sa.and_(EvidenceMark.photo_kind == kind, EvidenceMark.photo_id.in_(ids))
                    for kind, ids in photos.items()
                ),
            )
        )
    counts: dict[int, dict[MarkKind, int]] = {}
    for contractor_id, kind, count in db.session.execute(query):
        counts.setdefault(contractor_id, {})[MarkKind(kind)] = count
    return counts
