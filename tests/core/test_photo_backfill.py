"""`flask photos backfill`: evidence photos stored before stamping and the reuse checks get a
stamped copy saying what their upload would have said, a perceptual hash and its bands, for
every kind of photo; then a new photo reusing one is marked, while the old ones are not marked
against each other; a second run does nothing, a missing file is reported and skipped, and an
interrupted run goes on where it stopped."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.catalog.models import Severity, SiteKind
from app.cli import PHOTO_BACKFILLS
from app.core import backfill as backfill_module
from app.core import stamping
from app.core.evidence import SOURCES, EvidenceMark, HashBand, MarkKind
from app.core.extensions import db
from app.core.files import Kind
from app.core.photos import read_photo
from app.core.stamping import code_line, stamp_photo
from app.core.timeutil import utcnow
from app.feedback.complaints import accept, add_evidence, assign, file_complaint, uphold
from app.feedback.models import ComplaintChannel, ComplaintPhoto
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, InspectionPhoto, Scope
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.deadlines import ensure_default_rules
from app.notices.lifecycle import draft_notices, issue, record_unsigned_service, report_fix
from app.notices.models import FixPhoto, NoticeReceipt, ReceiptWay
from tests.evidence_photos import reencoded, scene
from tests.helpers import forget

PHOTO_MODELS = (InspectionPhoto, FixPhoto, ComplaintPhoto)
CAMERA_CLOCK = datetime(2026, 12, 1, 9, 30)  # as the camera writes it: local, no zone


@dataclass(frozen=True)
class Old:
    """What the upload path drew on each photo (by the short code ending its stamp), and what
    of the records the tests check, read before the command detaches the session's objects."""

    upload_lines: dict[str, list[str]]
    inspection_id: int
    notice_number: str
    public_reference: str
    upheld_reference: str
    inspector: str


@pytest.fixture
def drawn(monkeypatch) -> list[list[str]]:
    """The lines of every stamp drawn, in order."""
    lines = []
    draw_band = stamping._draw_band
    monkeypatch.setattr(
        stamping, "_draw_band", lambda image, text: lines.append(text) or draw_band(image, text)
    )
    return lines


@pytest.fixture
def old_photos(cast, make_check_point, make_site, drawn) -> Old:
    """A photo of every kind, sent as today, then made as an earlier version left it: no
    stamped copy, no hash, no bands. A finding's (scene 1) and a fix's (3) with the camera's
    time, a notice's served without signing (2), a complaint's from the public (4), and one
    taken while investigating a complaint then upheld (5), which went onto the complaint's
    inspection as a copy."""
    ensure_default_rules()
    kitchen = make_site("后厨", SiteKind.AREA)
    food = make_check_point(
        line_code="CAT", category="食品安全", title="食品留样", severity=Severity.CRITICAL
    )
    line = food.category.service_line
    cast.own.service_lines, cast.own.sites = [line], [kitchen]
    db.session.commit()
    inspection = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
    [item] = inspection.items
    record_answer(item, Answer.FAIL, cast.inspector)
    record_note(item, "留样不足", cast.inspector)
    where = {"latitude": 32.06, "longitude": 118.78, "accuracy_m": 12}
    attach_photo(item, scene(1, taken=CAMERA_CLOCK), cast.inspector, **where)
    submit(inspection, cast.inspector)
    [notice] = draft_notices(inspection, cast.inspector)
    issue(notice, cast.inspector, now=utcnow() - timedelta(hours=1))
    record_unsigned_service(notice, cast.inspector, ReceiptWay.REFUSED, "王五", scene(2))
    report_fix(notice.items[0], cast.owner, "已补足留样", [scene(3, taken=CAMERA_CLOCK)])
    public, _token = file_complaint(
        ComplaintChannel.ONLINE, "饭菜变质", "凉拌菜有异味", photos=[scene(4)]
    )
    upheld, _token = file_complaint(
        ComplaintChannel.HOTLINE, "留样", "食堂留样不足", logged_by=cast.manager
    )
    accept(upheld, cast.manager)
    add_evidence(upheld, cast.inspector, "调取监控，情况属实", [scene(5)])
    assign(upheld, cast.manager, cast.own, line, kitchen)
    uphold(upheld, cast.manager, "经核实投诉属实")
    db.session.commit()
    old = Old(
        {lines[-1]: lines for lines in drawn},
        inspection.id,
        notice.number,
        public.reference,
        upheld.reference,
        cast.inspector.display_name,
    )
    drawn.clear()
    for model in PHOTO_MODELS:
        db.session.execute(sa.update(model).values(stamped_digest=None, phash=None))
    db.session.execute(sa.update(NoticeReceipt).values(photo_stamped_digest=None))
    db.session.execute(sa.delete(HashBand))
    db.session.commit()
    return old


def run_backfill(app, *options: str):
    return app.test_cli_runner().invoke(args=["photos", "backfill", *options])


@dataclass(frozen=True)
class Photo:
    kind: str
    id: int
    digest: str
    stamped: str | None
    phash: str | None


def photos() -> dict[str, list[Photo]]:
    """Every evidence photo as the database has it, by kind, in the order they were sent."""
    found = {}
    for fill in PHOTO_BACKFILLS:
        model, digest = fill.model, getattr(fill.model, fill.digest)
        rows = db.session.scalars(sa.select(model).where(digest.is_not(None)).order_by(model.id))
        found[fill.kind] = [
            Photo(
                fill.kind,
                row.id,
                getattr(row, fill.digest),
                getattr(row, fill.stamped),
                getattr(row, "phash", None),
            )
            for row in rows
        ]
    return found


def bands_of(photo: Photo) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(HashBand.phash).where(
                HashBand.photo_kind == photo.kind, HashBand.photo_id == photo.id
            )
        )
    )


def state() -> tuple:
    """All the command writes: each photo's stamped copy and hash, and the bands."""
    bands = db.session.execute(sa.select(HashBand).order_by(*HashBand.__table__.primary_key))
    return photos(), [
        (band.photo_kind, band.photo_id, band.band, band.value) for band in bands.scalars()
    ]


def done(kind: str, stamped: int, hashed: int, missing: int = 0) -> str:
    return f"{kind} photos: {stamped} stamped, {hashed} hashed, {missing} skipped (file missing)."


ALL_DONE = [
    done("complaint", 0, 0),
    done("inspection", 0, 0),
    done("fix", 0, 0),
    done("receipt", 0, 0),
]


def test_old_photos_of_every_kind_get_a_stamped_copy_from_the_records_and_an_indexed_hash(
    app, old_photos, drawn
):
    result = run_backfill(app, "--batch", "1")  # a transaction a photo

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        done("complaint", 2, 2),
        done("inspection", 1, 2),  # the upheld complaint's copy takes the complaint's stamp
        done("fix", 1, 1),
        done("receipt", 1, 0),
    ]
    found = photos()
    [finding, copy], [fix], [public, investigated], [receipt] = (
        found[kind] for kind in ("inspection", "fix", "complaint", "receipt")
    )
    lines = {drawn_lines[-1]: drawn_lines for drawn_lines in drawn}
    for photo in (finding, fix, receipt):  # what its upload drew, line for line
        assert lines[code_line(photo.digest)] == old_photos.upload_lines[code_line(photo.digest)]
    for photo in (finding, fix):  # as the camera showed it, whatever the database's zone
        assert lines[code_line(photo.digest)][0].startswith("拍摄 2026-12-01 09:30:00")
    served = f"{old_photos.notice_number} 拒绝签收，见证人 王五"
    assert lines[code_line(receipt.digest)][3] == served
    # a complaint's stamp says what its record says now: its reference, and the place it was
    # found to be about after the photo was sent
    assert lines[code_line(public.digest)][1:4] == [
        "地点 未知",
        "拍摄人 公众",
        f"投诉 {old_photos.public_reference} 饭菜变质",
    ]
    assert lines[code_line(investigated.digest)][1:4] == [
        "地点 后厨",
        f"拍摄人 {old_photos.inspector}",
        f"投诉 {old_photos.upheld_reference} 留样",
    ]
    for photo in (finding, fix, public, investigated, receipt):
        assert photo.stamped not in (None, photo.digest)
        assert read_photo(photo.stamped, thumb=True)
        # the stored photo with these lines drawn on it, and nothing else
        assert stamp_photo(photo.digest, lines[code_line(photo.digest)][:-1]) == photo.stamped
    assert (copy.digest, copy.stamped) == (investigated.digest, investigated.stamped)
    for photo in (finding, copy, fix, public, investigated):
        assert photo.phash and bands_of(photo) == [photo.phash] * 4


def test_a_new_photo_reusing_an_old_one_is_marked_and_the_old_ones_are_not(app, old_photos):
    def sent_with_a_complaint(photo: bytes) -> int:
        complaint, _token = file_complaint(ComplaintChannel.ONLINE, "留样", "又见", photos=[photo])
        db.session.commit()
        return complaint.photos[0].id

    def marks() -> list[tuple]:
        query = sa.select(EvidenceMark.photo_kind, EvidenceMark.photo_id, EvidenceMark.kind)
        return db.session.execute(query.order_by(EvidenceMark.id)).all()

    # the finding's photo re-encoded and resized: not recognised while the old one has no hash
    meanwhile = sent_with_a_complaint(reencoded(scene(1), scale=0.7))
    marked = marks()
    assert ("complaint", meanwhile, MarkKind.REUSED) not in marked

    assert run_backfill(app).exit_code == 0
    assert marks() == marked, "nothing marked after the fact"
    again = sent_with_a_complaint(reencoded(scene(1), scale=0.6, quality=50))
    [mark] = db.session.scalars(
        sa.select(EvidenceMark).where(
            EvidenceMark.photo_kind == "complaint", EvidenceMark.photo_id == again
        )
    )
    assert mark.kind == MarkKind.REUSED
    assert mark.link == f"/inspections/{old_photos.inspection_id}"  # where it was used first


def test_a_second_run_changes_nothing(app, old_photos, drawn):
    assert run_backfill(app).exit_code == 0
    before = state()
    drawn.clear()

    again = run_backfill(app)

    assert again.exit_code == 0 and again.stdout.splitlines() == ALL_DONE
    assert state() == before and drawn == []


def test_a_photo_whose_file_is_missing_is_reported_and_skipped(app, old_photos):
    [fix] = photos()["fix"]
    forget(Kind.PHOTO, fix.digest)

    for _run in range(2):  # reported each time, and never stamped from nothing
        result = run_backfill(app)
        assert result.exit_code == 0, result.output
        assert done("fix", 0, 0, missing=1) in result.stdout
        assert (
            result.stderr == f"MISSING fix photo {fix.id}: {fix.digest} is not in the file store\n"
        )
    assert photos()["fix"] == [fix]
    assert all(
        photo.stamped for kind in ("inspection", "complaint", "receipt") for photo in photos()[kind]
    )


def test_an_interrupted_run_goes_on_where_it_stopped(app, old_photos, monkeypatch):
    """Stopped while stamping the third photo: the two before it are kept, the third is left
    as it was (its hash and bands with it), and the next run does the rest."""
    stamped = []

    def stamp_until_the_power_goes(digest, lines, image=None):
        if len(stamped) == 2:
            raise RuntimeError("the power went off")
        stamped.append(digest)
        return stamp_photo(digest, lines, image)

    monkeypatch.setattr(backfill_module, "stamp_photo", stamp_until_the_power_goes)
    stopped = run_backfill(app, "--batch", "1")
    assert isinstance(stopped.exception, RuntimeError)
    db.session.rollback()
    found = photos()
    assert [photo.stamped is not None for photo in found["complaint"]] == [True, True]
    [finding, _copy] = found["inspection"]
    assert finding.stamped is None and finding.phash is None and bands_of(finding) == []

    monkeypatch.undo()
    resumed = run_backfill(app)
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.splitlines() == [
        done("complaint", 0, 0),
        done("inspection", 1, 2),
        done("fix", 1, 1),
        done("receipt", 1, 0),
    ]
    assert run_backfill(app).stdout.splitlines() == ALL_DONE


def test_every_kind_of_photo_checked_for_reuse_is_backfilled(app):
    fills = {fill.kind: fill for fill in PHOTO_BACKFILLS}
    for kind, source in SOURCES.items():
        assert fills[kind].model.__table__ is source.table and fills[kind].hashed


def test_the_help_says_old_photos_are_not_marked_against_each_other(app):
    shown = app.test_cli_runner().invoke(args=["photos", "backfill", "--help"]).output
    assert "only photos sent from now on are checked against them" in " ".join(shown.split())
