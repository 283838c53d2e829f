"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL when
XUNJIAN_TEST_DATABASE_URL is set) and a fresh file store (a folder, or a prefix of an S3 API
server when XUNJIAN_TEST_STORAGE=s3), a client, and fixtures that make records with the
factories the demo and the benchmarks use too (app/demo/factories.py), committed."""

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from click.testing import Result
from werkzeug.routing.rules import Rule

from app import create_app
from app.auth.models import Role
from app.core.extensions import db
from app.demo import factories
from tests.helpers import (
    PASSWORD,
    Cast,
    IsolatedClient,
    app_on,
    create_database,
    drop_database,
    drop_own_database,
    named_beside,
    own_database,
)
from tests.s3_server import CREDENTIALS, ObjectStoreServer


def _keep_url_builders() -> None:
    """Every test makes an app, and Werkzeug writes and compiles a URL-building function for
    each of its rules each time: most of create_app's 85 ms. The function's code depends only
    on the rule (it is bound to each Rule object), so the suite compiles each one once."""
    compile_builder = Rule._compile_builder
    compiled = {}

    def once(rule, append_unknown=True):
        defaults = repr(sorted((rule.defaults or {}).items()))
        key = (rule.rule, tuple(rule._trace), defaults, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = once


_keep_url_builders()


# How `make test` splits a run over pytest-xdist's processes (--dist loadscope): a test file
# at a time, except these, each kept in one process: the files on the whole demo, loaded once
# per process; the browser tests, so that a run drives one browser at a time as it did before
# the split (the flows' timing is not tested against four busy processes on two cores).
TOGETHER = {
    "tests/test_cli.py": "full demo",
    "tests/test_access_matrix.py": "full demo",
    "tests/browser/": "browser",
}


def pytest_configure(config):
    """With XUNJIAN_TEST_NOW (an ISO time with its offset) the whole run starts at that moment
    and the clock ticks on from there: `make test` runs the logic and route tests again at the
    moments dates break (scripts/test-all.sh), so no test may lean on today's date."""
    moment = os.environ.get("XUNJIAN_TEST_NOW")  # the servers it starts: clock_environment()
    if moment:
        config.stash[_CLOCK] = time_machine.travel(datetime.fromisoformat(moment), tick=True)
        config.stash[_CLOCK].start()


def pytest_unconfigure(config):
    if _CLOCK in config.stash:
        config.stash[_CLOCK].stop()


def pytest_report_header(config):
    if _CLOCK in config.stash:
        return f"clock moved to {os.environ['XUNJIAN_TEST_NOW']}"
    return None


_CLOCK = pytest.StashKey[time_machine.travel]()


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return next((g for prefix, g in TOGETHER.items() if path.startswith(prefix)), path)

    return FilesAndGroups(config, log)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """PostgreSQL's database for the whole run (each of pytest-xdist's processes its own), or
    SQLite's empty schema, which each test copies (copying a file is quicker than building the
    schema anew)."""
    server = os.environ.get("XUNJIAN_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'empty.db'}"
    elif worker_id == "master":
        yield server
    else:
        name = named_beside(server, worker_id)
        yield create_database(server, name)
        drop_database(server, name)


@pytest.fixture(scope="session")
def schema(database_url, tmp_path_factory):
    """The tables, built once for the run."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "schema", "TESTING": True}
    )
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield
    if database_url.startswith("postgresql"):
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


@dataclass(frozen=True)
class Demo:
    url: str
    files: Path
    loaded: Result  # what `flask seed-demo` said


@pytest.fixture(scope="session")
def full_demo(database_url, schema, tmp_path_factory) -> Demo:
    """The whole demo, history included, loaded once for the run by `flask seed-demo
    --if-empty` into a database of its own. Tests read it (test_cli) or work on a copy of
    it (copy_of: the access matrix)."""
    folder = tmp_path_factory.mktemp("full-demo")
    url = own_database(database_url, folder, "full_demo")
    app = app_on(url, folder / "files")
    with app.app_context():
        loaded = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")  # copies start with the planner's figures
        db.engine.dispose()
    yield Demo(url, folder / "files", loaded)
    drop_own_database(database_url, "full_demo")


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    """A real S3 API server, started for the first test that needs it, stopped after the run."""
    os.environ.update(CREDENTIALS)  # where boto3 looks, in this process and the servers it starts
    server = ObjectStoreServer(tmp_path_factory.mktemp("s3") / "moto.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def storage_settings(request, tmp_path):
    """Settings for a new, empty file store named `name` within the test: of the run's kind
    (XUNJIAN_TEST_STORAGE), or of the kind asked for ("folder" or "s3")."""

    def settings(name: str, kind: str | None = None) -> dict:
        if (kind or os.environ.get("XUNJIAN_TEST_STORAGE")) == "s3":
            server = request.getfixturevalue("object_store")
            return {
                "UPLOAD_DIR": str(tmp_path / name),
                **server.settings(f"{tmp_path.name}/{name}"),
            }
        return {"UPLOAD_DIR": str(tmp_path / name), "STORAGE_URL": ""}

    return settings


@pytest.fixture
def app_config(database_url, schema, tmp_path, storage_settings):
    url = database_url
    if url.startswith("sqlite"):
        test_db = tmp_path / "test.db"
        shutil.copyfile(sa.make_url(url).database, test_db)
        url = f"sqlite:///{test_db}"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        **storage_settings("photos"),
        # a cheap hash keeps the suite quick; production keeps scrypt
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture
def app(app_config):
    with running(app_config) as app:
        yield app


@contextmanager
def running(config: dict):
    """An app on these settings, in its app context; afterwards its file store is closed
    and its database (PostgreSQL's, which tests share) left empty."""
    app = create_app(config)
    with app.app_context():
        yield app
        use_store(app, None)
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            empty_every_table()
        db.engine.dispose()


def use_store(app, settings: dict | None) -> None:
    """Close the app's file store; with settings, open the one they name from now on."""
    store = app.extensions.pop("file_store", None)
    if store is not None:
        store.close()
    if settings is not None:
        app.config.update(settings)


def empty_every_table():
    """Leave PostgreSQL as the next test expects it: every table there and empty, numbering
    from 1. Rows are deleted from the tables that have any, children first, and the sequences
    used start again: quicker than TRUNCATE, which gives every table new files. A test that
    rebuilt the schema (the migration tests) may leave it otherwise; then it is built anew."""
    tables = db.metadata.sorted_tables
    have_rows = " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")" for table in tables
    )
    try:
        with db.engine.begin() as connection:
            filled = {name for (name,) in connection.exec_driver_sql(have_rows)}
            # the driver's own cursor: the audit log's guard watches the engine's statements
            cursor = connection.connection.cursor()
            for table in reversed(tables):
                if table.name in filled:
                    cursor.execute(f'DELETE FROM "{table.name}"')
            used = connection.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL"
            ).all()
            for (sequence,) in used:
                cursor.execute(f'ALTER SEQUENCE "{sequence}" RESTART')
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    except sa.exc.ProgrammingError:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def make_contractor(app):
    def make(**fields):
        return committed(factories.contractor(**fields))

    return make


@pytest.fixture
def make_user(app):
    def make(role=Role.INSPECTOR, contractor=None, username=None, **fields):
        return committed(factories.user(role, contractor, username, password=PASSWORD, **fields))

    return make


@pytest.fixture
def cast(make_contractor, make_user) -> Cast:
    own = make_contractor(name="禾香餐饮", short_name="禾香")
    other = make_contractor(name="安泰物业", short_name="安泰")
    return Cast(
        own=own,
        other=other,
        owner=make_user(Role.CONTRACTOR, contractor=own),
        colleague=make_user(Role.CONTRACTOR, contractor=own),
        outsider=make_user(Role.CONTRACTOR, contractor=other),
        inspector=make_user(Role.INSPECTOR),
        second_inspector=make_user(Role.INSPECTOR),
        manager=make_user(Role.MANAGER),
        admin=make_user(Role.ADMIN),
    )


@pytest.fixture
def make_check_point(app):
    def make(*args, **fields):
        return committed(factories.check_point(*args, **fields))

    return make


@pytest.fixture
def make_site(app):
    def make(*args, **fields):
        return committed(factories.site(*args, **fields))

    return make


@pytest.fixture
def make_certificate(app):
    def make(contractor=None, staff=None, kind="健康证", expires_in_days=100, active=True):
        staff = staff or factories.staff_member(contractor, active=active)
        return committed(factories.certificate(staff, kind, expires_in_days))

    return make


def committed(record):
    db.session.commit()
    return record
