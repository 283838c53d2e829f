"""The Alembic chain builds the schema from empty and matches the models exactly."""

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.core.extensions import db


def test_migrations_upgrade_from_empty_with_no_drift_and_downgrade(app):
    db.session.remove()
    db.drop_all()

    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    assert {m.name for m in db.metadata.sorted_tables} <= tables

    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    db.create_all()  # leave what the fixture's teardown expects


def test_flask_db_check_finds_no_drift(app):
    db.session.remove()
    db.drop_all()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["db", "downgrade", "base"])
    db.create_all()


def test_the_last_revisions_go_down_and_up_again_over_a_full_database(app):
    """Batch mode rebuilds tables on SQLite: rows other tables point to must survive it
    (surveys with their answers), and nothing is lost on the way back up."""
    from app.demo import seed_demo
    from app.feedback.models import SurveyResponse

    db.session.remove()
    db.drop_all()
    upgrade()
    seed_demo(history=False)
    db.session.commit()
    answers = db.session.scalar(sa.select(sa.func.count(SurveyResponse.id)))
    assert answers > 0
    db.session.remove()

    downgrade(revision="-2")
    upgrade()
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == answers
    db.session.remove()
    downgrade(revision="base")
    db.create_all()


def test_migration_files_sort_in_the_chains_order():
    """A newcomer reads migrations/versions top to bottom: the file names must say the order."""
    folder = Path(__file__).resolve().parents[1] / "migrations"
    scripts = ScriptDirectory(str(folder))
    oldest_first = [Path(s.path).name for s in reversed(list(scripts.walk_revisions()))]
    assert oldest_first == sorted(oldest_first)


def test_published_bulletins_move_into_the_file_store_and_back(app, tmp_path):
    from app.core.files import Kind, key_of

    digest = "ab" + "c" * 62
    app.instance_path = str(tmp_path / "instance")
    old = tmp_path / "instance" / "bulletins" / f"{digest}.pdf"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"%PDF-1.7 published")
    db.session.remove()
    db.drop_all()
    upgrade(revision="b95866aaf3a3")
    upgrade()
    assert not old.exists()
    # The migration predates object storage: it moves files within this machine's folder.
    moved = Path(app.config["UPLOAD_DIR"]) / key_of(Kind.BULLETIN, digest)
    assert moved.read_bytes() == b"%PDF-1.7 published"
    downgrade(revision="b95866aaf3a3")
    assert old.read_bytes() == b"%PDF-1.7 published"
    downgrade(revision="base")
    db.create_all()


def test_receipts_and_document_versions_are_made_for_what_came_before(app, make_user):
    """Notices acknowledged before receipts were kept get a confirmation by whoever
    acknowledged them; bulletins published before versions were kept have their stored PDF
    adopted as version 1, with a code."""
    from datetime import timedelta

    from app.assessments.models import Bulletin, BulletinStatus
    from app.auth.models import Role
    from app.core.timeutil import utcnow
    from tests.helpers import save

    db.session.remove()
    db.drop_all()
    upgrade(revision="4e2f18c4a816")
    owner = make_user(Role.CONTRACTOR)
    inspector = make_user(Role.INSPECTOR)
    now = utcnow()
    acknowledged_at = now - timedelta(days=3)
    db.session.execute(
        sa.text(
            "INSERT INTO notices (contractor_id, status, year, serial, deadline, deadline_reason,"
            " created_by_id, created_at, issued_at, issued_by_id, acknowledged_at,"
            " acknowledged_by_id) VALUES (:c, 'acknowledged', 2026, 1, :d, '', :i, :t, :t, :i,"
            " :a, :o), (:c, 'issued', 2026, 2, :d, '', :i, :t, :t, :i, NULL, NULL)"
        ).bindparams(
            *(sa.bindparam(name, type_=sa.DateTime(timezone=True)) for name in ("d", "t", "a"))
        ),
        {
            "c": owner.contractor_id,
            "d": now + timedelta(days=1),
            "i": inspector.id,
            "t": now - timedelta(days=4),
            "a": acknowledged_at,
            "o": owner.id,
        },
    )
    bulletin = save(
        Bulletin(
            month="2026-10",
            status=BulletinStatus.PUBLISHED,
            pdf_digest="ab" + "c" * 62,
            published_at=now,
        )
    )
    save(Bulletin(month="2026-11", status=BulletinStatus.DRAFT))
    db.session.commit()
    upgrade()
    with db.engine.connect() as connection:
        receipts = connection.execute(
            sa.text("SELECT notice_id, way, recorded_by_id FROM notice_receipts")
        ).all()
        versions = connection.execute(
            sa.text("SELECT kind, record_id, version, digest, code FROM document_versions")
        ).all()
    assert [(way, by) for _notice, way, by in receipts] == [("confirmed", owner.id)]
    [(kind, record_id, version, digest, code)] = versions
    assert (kind, record_id, version, digest) == ("bulletin", bulletin.id, 1, "ab" + "c" * 62)
    assert len(code) == 12
    db.session.remove()
    downgrade(revision="4e2f18c4a816")
    downgrade(revision="base")
    db.create_all()
