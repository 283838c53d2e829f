"""Backups: `flask backup` writes the database and the photo store to one archive;
`flask restore` brings it into an empty instance, where everything compares equal."""

import json
import os
import secrets
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.core.backup import postgres_tool
from app.core.extensions import db
from app.demo import seed_demo
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


def recording_calls(tool: str, folder: Path, log: Path) -> None:
    """Put a `tool` in `folder` that notes its arguments and the password it was given in
    the environment into `log`, then runs the real one."""
    real = postgres_tool(tool)
    folder.mkdir(exist_ok=True)
    wrapper = folder / tool
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    call = {'argv': sys.argv, 'password': os.environ.get('PGPASSWORD')}\n"
        "    log.write(json.dumps(call) + '\\n')\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    wrapper.chmod(0o755)


def test_the_database_password_is_on_no_command_line(
    app, app_config, database_url, empty_database_url, tmp_path, monkeypatch
):
    """Every local user can read a command line (ps); pg_dump and pg_restore get the
    password in their environment instead."""
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL's tools are given a password")
    password = f"pg-{secrets.token_hex(8)}"
    calls = tmp_path / "calls.jsonl"
    for tool in ("pg_dump", "pg_restore"):
        recording_calls(tool, tmp_path / "bin", calls)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    def with_password(url: str) -> str:
        return sa.make_url(url).set(password=password).render_as_string(hide_password=False)

    source = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": with_password(app_config["SQLALCHEMY_DATABASE_URI"]),
        }
    )
    with source.app_context():
        made = source.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
        assert made.exit_code == 0, made.output
        db.engine.dispose()
    restored = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": with_password(empty_database_url)}
    )
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", made.output.strip()])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()

    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [Path(call["argv"][0]).name for call in recorded] == ["pg_dump", "pg_restore"]
    for call in recorded:
        assert not [arg for arg in call["argv"] if password in arg], call["argv"]
        assert call["password"] == password, "the tool is given the password all the same"
