"""Backups: one archive with a consistent copy of the database and the file store (the local
folder or the object store, app/files.py), and bringing it back into an empty instance.

The database is copied first (SQLite's online backup API, or `pg_dump` in one transaction),
then the file store. Stored files are named by their content and never change, so every
file the copied database names is in the archive; a photo stored while the backup ran may be
there too, harmlessly.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from glob import glob
from pathlib import Path

import sqlalchemy as sa

from app.core.extensions import db
from app.core.files import current_store
from app.core.timeutil import utcnow

FORMAT = 1
DATABASE_FILES = ("database.sqlite", "database.pgdump")


class BackupError(RuntimeError):
    """The backup or the restore cannot go on; the message says why."""


def _url() -> sa.engine.URL:
    return db.engine.url


def postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client)")
    return found


def _libpq_url() -> str:
    """The database's address for pg_dump and pg_restore, without its password: every local
    user can read a command line (ps), so the password goes in their environment (_run)."""
    url = _url()
    return sa.engine.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query={key: value for key, value in url.query.items() if key != "password"},
    ).render_as_string()


def _run(command: list[str]) -> None:
    url = _url()
    password = url.password or url.query.get("password")
    environment = {**os.environ, "PGPASSWORD": password} if password else None
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def _dump_database(into: Path) -> tuple[str, dict[str, int], str | None]:
    """Copy the database into `into`; returns the file's name, and the rows per table and
    the schema revision as they are in the copy."""
    url = _url()
    if url.get_backend_name() == "sqlite":
        target = into / "database.sqlite"
        source, copy = sqlite3.connect(url.database), sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent snapshot while the app keeps writing
            counts = {
                table.name: copy.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
                for table in db.metadata.sorted_tables
            }
            has_version = copy.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()
            revision = (
                copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                if has_version
                else None
            )
        finally:
            source.close()
            copy.close()
        return target.name, counts, revision
    if url.get_backend_name() == "postgresql":
        target = into / "database.pgdump"
        # pg_dump reads the very snapshot the rows are counted in
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
                counts = {
                    table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
                    for table in db.metadata.sorted_tables
                }
                revision = _revision(connection)
                _run(
                    [
                        postgres_tool("pg_dump"),
                        "--format=custom",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        "-f",
                        str(target),
                        "-d",
                        _libpq_url(),
                    ]
                )
        return target.name, counts, revision
    raise BackupError(f"no backup for {url.get_backend_name()} databases")


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def _revision(connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_backup(directory: Path) -> Path:
    """Write `xunjian-<time>.tar.gz` into `directory`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(dir=directory) as work:
        work = Path(work)
        database, rows, revision = _dump_database(work)
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "database": database,
            "backend": _url().get_backend_name(),
            "revision": revision,
            "rows": rows,
            "sha256": {database: _sha256(work / database)},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = directory / f".xunjian-{stamp}.tar.gz.partial"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(work / database, arcname=database)
            _archive_files(archive)
        final = directory / f"xunjian-{stamp}.tar.gz"
        os.replace(partial, final)  # a half-written archive never looks like a backup
    return final


def _archive_files(archive: tarfile.TarFile) -> None:
    """Every stored file, under photos/ and its key (the name the first backups used)."""
    files = current_store()
    for key in files.keys():
        data = files.read(key)
        if data is None:
            continue
        member = tarfile.TarInfo(f"photos/{key}")
        member.size, member.mtime, member.mode = len(data), int(time.time()), 0o644
        archive.addfile(member, io.BytesIO(data))


def _restore_files(folder: Path) -> None:
    files = current_store()
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_file() and not path.name.startswith(".") and not files.has(key):
            files.put(key, path.read_bytes())


def _is_empty() -> bool:
    with db.engine.connect() as connection:
        return not sa.inspect(connection).get_table_names()


def restore_backup(archive_path: Path) -> dict:
    """Bring a backup into this instance, whose database must be empty (no tables) and
    of the same kind as the backup's. Returns the backup's manifest."""
    if not _is_empty():
        raise BackupError("the database is not empty: restore only into an empty database")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                archive.extractall(work, filter="data")  # no absolute paths, links or ../
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"the archive is damaged or not a backup: {exc}") from exc
        try:
            manifest = json.loads((work / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise BackupError("this archive has no readable manifest.json") from exc
        if manifest.get("format") != FORMAT or manifest.get("database") not in DATABASE_FILES:
            raise BackupError("this archive is not a Xunjian backup this version can read")
        database = work / manifest["database"]
        if _sha256(database) != manifest["sha256"].get(manifest["database"]):
            raise BackupError("the database copy in the archive is damaged")
        if manifest["backend"] != _url().get_backend_name():
            raise BackupError(
                f"this is a {manifest['backend']} backup; restore it into a "
                f"{manifest['backend']} database"
            )
        db.session.remove()
        db.engine.dispose()
        if manifest["backend"] == "sqlite":
            source, target = sqlite3.connect(database), sqlite3.connect(_url().database)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            _run(
                [
                    postgres_tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    "-d",
                    _libpq_url(),
                    str(database),
                ]
            )
        if (work / "photos").is_dir():
            _restore_files(work / "photos")
    if _row_counts() != manifest["rows"]:
        raise BackupError("the restored database does not hold what the backup counted")
    return manifest
