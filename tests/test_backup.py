"""Backups: `flask backup` writes the database and the photo store to one archive;
`flask restore` brings it into an empty instance, where everything compares equal."""

import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.demo import seed_demo
from app.extensions import db
from tests.conftest import use_store
from tests.helpers import create_database, drop_database, stored_files


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A second, empty database of the same kind as the suite's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"xunjian_restore_{secrets.token_hex(4)}"
    yield create_database(database_url, name)
    drop_database(database_url, name)


def table_rows() -> dict[str, list[tuple]]:
    with db.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(sa.select(table))), key=repr
            )
            for table in db.metadata.sorted_tables
        }


def test_a_backup_restores_into_an_empty_instance_exactly(
    app, app_config, tmp_path, empty_database_url, storage_settings
):
    seed_demo(history=False)  # with a complaint's photo in the store
    db.session.commit()
    before = table_rows()
    photos_before = stored_files()
    assert before["users"] and before["complaint_photos"] and photos_before

    made = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert made.exit_code == 0, made.output
    archive = Path(made.output.strip())
    assert archive.is_file() and archive.name.endswith(".tar.gz")

    restored = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            **storage_settings("restored-photos"),
        }
    )
    with restored.app_context():
        runner = restored.test_cli_runner()
        result = runner.invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert table_rows() == before
        assert stored_files() == photos_before
        again = runner.invoke(args=["restore", str(archive)])
        assert again.exit_code != 0 and "not empty" in again.output
        use_store(restored, None)
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_archive_is_refused(app, app_config, tmp_path, empty_database_url):
    made = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path)])
    archive = Path(made.output.strip())
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:-200])
    restored = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(damaged)])
        assert result.exit_code == 1 and "damaged" in result.output
        assert not sa.inspect(db.engine).get_table_names(), "nothing half restored"
        db.engine.dispose()
