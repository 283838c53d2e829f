"""What tests share besides fixtures: the test password, the cast of people, a client with a
context per request, small makers of uploads (a spreadsheet, a photo), and extra PostgreSQL
databases."""

import contextvars
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from openpyxl import Workbook
from PIL import Image, ImageDraw

from app import create_app
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.standards_io import HEADERS
from app.core.config import ENV_KEYS, ENV_PREFIX
from app.core.extensions import db
from app.core.files import (
    Kind,
    LocalFolder,
    configured_store,
    copy_files,
    current_store,
    key_of,
    sha256,
)
from app.demo import seed_demo
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Inspection, Scope

PASSWORD = "correct-horse-9"


@dataclass
class Cast:
    """The people every test of who-sees-what needs. `own` is the contractor whose records a
    test makes; `owner` and `colleague` are two of its users; `outsider` is the user of the
    `other` contractor, who must never see them; then the department's inspector, a second
    inspector (not on the inspector's checks unless a test puts them there), a manager and an
    admin. Each test module gives the two companies their service lines and sites."""

    own: Contractor
    other: Contractor
    owner: User
    colleague: User
    outsider: User
    inspector: User
    second_inspector: User
    manager: User
    admin: User

    def by_role(self, role: str) -> User:
        """The one user of a role; "contractor" is the owner."""
        return self.owner if role == "contractor" else getattr(self, role)


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as in production, so `g`
    (the login and locale caches) and the database session are not shared with the test.
    Its responses are read whole and closed, as a browser would: a stored file sent from the
    file store is not left open."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    """A standards spreadsheet with the given header and rows, ready to upload."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def signature_png(size=(600, 200)) -> bytes:
    """A drawn signature as a signature pad sends it: strokes on a transparent PNG."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 150), (120, 40), (200, 160), (300, 60), (420, 140), (540, 70)], "black", 8)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(size=(640, 480), color=(30, 120, 200)) -> bytes:
    """A plain JPEG photo for tests."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def stored_files() -> dict[str, str]:
    """Every file in the app's store: its key and the SHA-256 of what it holds."""
    files = current_store()
    return {key: sha256(files.read(key)) for key in files.keys()}


def forget(kind: Kind, digest: str) -> None:
    """Lose one stored file, as a crash between two writes would."""
    files, key = current_store(), key_of(kind, digest)
    if isinstance(files, LocalFolder):
        (files.root / key).unlink()
    else:
        files.client.delete_object(Bucket=files.bucket, Key=files._name(key))


def server_environment(config) -> dict[str, str]:
    """The environment a server process needs to run on the same database and file store as
    an app in the tests."""
    shared = ("DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR", "STORAGE_URL", "S3_ENDPOINT")
    shared += ("S3_REGION", "S3_ADDRESSING")
    environment = {f"{ENV_PREFIX}{env}": str(config.get(ENV_KEYS[env]) or "") for env in shared}
    return environment | clock_environment()


def clock_environment() -> dict[str, str]:
    """With the run's clock moved (XUNJIAN_TEST_NOW, tests/conftest.py), what moves a process
    it starts by as much (tests/clock/sitecustomize.py): a worker must see the messages written
    'now' as due."""
    if not os.environ.get("XUNJIAN_TEST_NOW"):
        return {}
    offset = time.time() - time_machine.escape_hatch.time.time()
    folders = [str(Path(__file__).with_name("clock")), os.environ.get("PYTHONPATH", "")]
    return {
        "XUNJIAN_TEST_CLOCK_OFFSET": str(offset),
        "PYTHONPATH": os.pathsep.join(filter(None, folders)),
    }


def save(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.data.decode()[:500]
    return response


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A PostgreSQL database beside the suite's (a copy of `template` if named); its URL."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def own_database(database_url: str, folder: Path, name: str) -> str:
    """A database beside the run's, with every table, for data made once per run or module
    (the demo); its URL. SQLite's is a copy of the run's empty schema in `folder`; PostgreSQL's
    is named after the run's database, which each test process has its own of."""
    if database_url.startswith("sqlite"):
        shutil.copyfile(sa.make_url(database_url).database, folder / f"{name}.db")
        return f"sqlite:///{folder / f'{name}.db'}"
    url = create_database(database_url, named_beside(database_url, name))
    engine = sa.create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    return url


@contextmanager
def copy_of(template_url: str, template_files: Path, app_config: dict, database_url: str):
    """A test's own copy of a database made once (own_database) and of its stored files:
    the test's settings, on the copy (a file, or a PostgreSQL database made from it)."""
    copy_files(LocalFolder(template_files), configured_store(app_config))
    if template_url.startswith("sqlite"):
        shutil.copyfile(
            sa.make_url(template_url).database,
            sa.make_url(app_config["SQLALCHEMY_DATABASE_URI"]).database,
        )
        yield app_config
        return
    name = f"xunjian_copy_{secrets.token_hex(4)}"
    template = sa.make_url(template_url).database
    url = create_database(database_url, name, template=template)
    try:
        yield {**app_config, "SQLALCHEMY_DATABASE_URI": url}
    finally:
        drop_database(database_url, name)


def drop_own_database(database_url: str, name: str) -> None:
    if not database_url.startswith("sqlite"):
        drop_database(database_url, named_beside(database_url, name))


def named_beside(database_url: str, name: str) -> str:
    """The name of a database beside the run's: the run's name and `name`."""
    return f"{sa.make_url(database_url).database}_{name}"


def app_on(url: str, files: Path):
    """An app as the tests configure it, on the database and file folder given."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(files),
            "STORAGE_URL": "",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def drop_database(server_url: str, name: str) -> None:
    """Drop it even if a server the test started is still connected."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


class ServerProcess:
    """The production server (gunicorn) in a process of its own, with the environment given
    (see server_environment), so a test can kill it outright and start it again on the same
    address."""

    def __init__(self, environment: dict[str, str], access_log: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = access_log
        self.env = {**os.environ, **environment}
        self.process = None

    def start(self):
        self.launch()
        self.wait_until_up()

    def launch(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                str(self.access_log),
                "wsgi:app",
            ],
            cwd=Path(__file__).resolve().parents[1],
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_up(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill(self):
        """SIGKILL to the master and its worker: no clean shutdown, as in a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def requests(self) -> list[str]:
        """The request lines the server has logged so far ("GET /path HTTP/1.1")."""
        if not self.access_log.exists():
            return []
        return [line.split('"')[1] for line in self.access_log.read_text().splitlines()]


def demo_draft_at_the_lobby() -> tuple[User, Inspection]:
    """The demo without its history, and a strip check of cleaning at the lobby that the
    demo's inspector has started: (the inspector, the draft), committed."""
    seed_demo(history=False)
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    cleaning = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    lobby = db.session.scalar(sa.select(Site).where(Site.code == "B1-F1-LOBBY"))
    draft = start_inspection(Plan(Scope.STRIP, lobby, service_line=cleaning), inspector)
    db.session.commit()
    return inspector, draft


def tap(client, item, answer: str, n: int):
    """The phone's tap of `answer` on a checklist item (htmx), its client UUID the n-th."""
    return client.post(
        f"/inspections/{item.inspection_id}/items/{item.id}/answer",
        data={"answer": answer, "client_uuid": f"00000000-0000-4000-8000-{n:012d}"},
        headers={"HX-Request": "true"},
    )
