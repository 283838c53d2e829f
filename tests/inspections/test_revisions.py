"""An inspection's revision: the database raises it at every change to what the inspection's
checklist shows, whoever writes, and the migrations leave the same triggers as the models."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.auth.models import User
from app.core.evidence import EvidenceMark, MarkKind
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.evidence import CHECK_IN
from app.inspections.models import (
    Answer,
    AnswerRecord,
    ExternalDocument,
    Inspection,
    InspectionItem,
    InspectionPhoto,
)
from app.inspections.recording import (
    attach_photo,
    record_answer,
    record_note,
    reopen,
    store_answer,
    submit,
)
from tests.helpers import demo_draft_at_the_lobby, jpeg


def revision_of(inspection) -> int:
    return db.session.scalar(sa.select(Inspection.revision).where(Inspection.id == inspection.id))


def rises(change, inspection, *others) -> None:
    """`change()`, committed, raises the inspection's revision and no other's."""
    before = [revision_of(i) for i in (inspection, *others)]
    change()
    db.session.commit()
    assert revision_of(inspection) > before[0], change.__doc__
    assert [revision_of(i) for i in others] == before[1:], change.__doc__


def test_every_change_the_checklist_shows_raises_the_revision_whoever_writes(app):
    inspector, draft = demo_draft_at_the_lobby()
    other = start_inspection(Plan(draft.scope, draft.sites[0], draft.service_lines[0]), inspector)
    db.session.commit()
    item, photo = draft.items[0], None

    def tap_statements():
        """a tap's own statements, not the ORM's"""
        store_answer(item.id, Answer.FAIL, inspector.id)

    def note():
        """a note"""
        record_note(item, "地面有水渍", inspector)

    def photo_sent():
        """a photo"""
        nonlocal photo
        photo = attach_photo(item, jpeg(), inspector)

    def marked():
        """a mark on the photo"""
        db.session.add(
            EvidenceMark(photo_kind="inspection", photo_id=photo.id, kind=MarkKind.REUSED)
        )

    def check_in_marked():
        """a mark on the check-in"""
        db.session.add(
            EvidenceMark(photo_kind=CHECK_IN, photo_id=draft.id, kind=MarkKind.FAR_FROM_PLACE)
        )

    def removed():
        """a photo removed"""
        db.session.delete(db.session.get(InspectionPhoto, photo.id))

    def co_inspector():
        """an inspector added"""
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        draft.inspectors.append(manager)

    def document():
        """a document"""
        db.session.add(
            ExternalDocument(
                inspection_id=draft.id,
                filename="报告.pdf",
                kind="pdf",
                digest="0" * 64,
                size=1,
                uploaded_by_id=inspector.id,
            )
        )

    def own_row():
        """the inspection's own row"""
        draft.scanned_at = utcnow()

    def history_edited():
        """an answer's record changed in place"""
        db.session.execute(sa.text("UPDATE answer_records SET recorded_at = recorded_at"))

    for change in (
        tap_statements,
        note,
        photo_sent,
        marked,
        check_in_marked,
        removed,
        co_inspector,
        document,
        own_row,
        history_edited,
    ):
        rises(change, draft, other)
    db.session.delete(draft)  # what cascades raises nothing that is left, and stops nothing
    db.session.commit()
    assert db.session.get(Inspection, other.id) is not None


BEFORE_REVISIONS = "8c3b6e1f2a47"  # the migration before the one that brought revisions
TRIGGERS = {  # each trigger as the database holds it, with what it runs
    "postgresql": "SELECT pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t "
    "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal",
    "sqlite": "SELECT sql FROM sqlite_master WHERE type = 'trigger'",
}


def triggers() -> set[str]:
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql(TRIGGERS[connection.dialect.name]).scalars())


def test_the_migration_makes_the_same_triggers_as_the_models_and_takes_them_away(app):
    made_by_models = triggers()
    assert len(made_by_models) >= 10
    db.session.remove()
    db.drop_all()
    upgrade()
    assert triggers() == made_by_models
    downgrade(revision=BEFORE_REVISIONS)
    assert triggers() == set()
    downgrade(revision="base")
    db.create_all()  # leave what the fixture's teardown expects
    assert triggers() == made_by_models


def test_a_submitted_inspections_row_is_left_alone_until_it_is_reopened(app):
    """Only a draft's checklist is shown: a change under a submitted inspection does not write
    its row (on PostgreSQL each write leaves a dead row), and reopening raises it."""
    inspector, draft = demo_draft_at_the_lobby()
    for item in draft.items:
        record_answer(item, Answer.PASS, inspector)
    submit(draft, inspector)
    db.session.commit()
    submitted = revision_of(draft)
    db.session.add(
        EvidenceMark(photo_kind=CHECK_IN, photo_id=draft.id, kind=MarkKind.FAR_FROM_PLACE)
    )
    db.session.commit()
    assert revision_of(draft) == submitted
    manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
    reopen(draft, manager, "补拍照片")
    db.session.commit()
    assert revision_of(draft) > submitted


def test_a_tap_and_a_note_on_one_item_at_once_do_not_wait_on_the_draft_in_turn(app):
    """A tap writes its answer record, then the item; a note writes the item. Were the draft's
    row locked at each write, the tap would hold it while waiting for the note's item and the
    note wait for it: a deadlock. The revision is raised at the commit, so the note never
    waits for the tap's draft, and the tap only waits for the note's item."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time and takes its lock whole")
    inspector, draft = demo_draft_at_the_lobby()
    item_id, before = draft.items[0].id, revision_of(draft)
    items = InspectionItem.__table__
    with db.engine.connect() as tapping, db.engine.connect() as noting:
        noting.exec_driver_sql("SET lock_timeout = '2s'")
        tapping.execute(
            sa.insert(AnswerRecord.__table__).values(
                item_id=item_id, answer="fail", answered_at=utcnow(), user_id=inspector.id
            )
        )
        noting.execute(sa.update(items).where(items.c.id == item_id).values(note="地面有水渍"))
        noting.commit()
        tapping.execute(sa.update(items).where(items.c.id == item_id).values(answer="fail"))
        tapping.commit()
    db.session.commit()
    assert revision_of(draft) >= before + 3
