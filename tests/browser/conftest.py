"""Real headless Chromium (Debian's) on a phone, against the app served on localhost."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from app import create_app
from app.demo import seed_demo
from app.extensions import db
from tests.helpers import create_database, drop_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    phone = dict(playwright.devices["Pixel 7"])
    phone.pop("default_browser_type")
    return {**browser_context_args, **phone, "locale": "zh-CN"}


def buffered(app):
    """Read each response whole before it is sent. Werkzeug's development server skips the
    response's close() when the browser drops the connection mid-body (it does, navigating
    on while an icon downloads), which leaves a file open and fails the test on a
    ResourceWarning that has nothing to do with the app."""

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return wsgi


@pytest.fixture(scope="session")
def demo_template(database_url, schema, tmp_path_factory):
    """The demo organisation (without its inspection history), seeded once for the run: each
    browser test starts from a copy of its database and of its stored files."""
    folder = tmp_path_factory.mktemp("demo")
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'demo.db'}"
        shutil.copyfile(sa.make_url(database_url).database, folder / "demo.db")
    else:
        url = create_database(database_url, "xunjian_demo")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(folder / "files"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        if not url.startswith("sqlite"):
            db.create_all()
        seed_demo(history=False)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield url, folder / "files"
    if not url.startswith("sqlite"):
        drop_database(database_url, "xunjian_demo")


@pytest.fixture
def app_config(app_config, demo_template, database_url):
    """A test's own copy of the demo: its database (a file, or a PostgreSQL database made
    from the template) and its stored files."""
    template_url, template_files = demo_template
    shutil.copytree(template_files, app_config["UPLOAD_DIR"])
    if template_url.startswith("sqlite"):
        shutil.copyfile(
            sa.make_url(template_url).database,
            sa.make_url(app_config["SQLALCHEMY_DATABASE_URI"]).database,
        )
        yield app_config
        return
    name = f"xunjian_browser_{secrets.token_hex(4)}"
    template = sa.make_url(template_url).database
    url = create_database(database_url, name, template=template)
    yield {**app_config, "SQLALCHEMY_DATABASE_URI": url}
    drop_database(database_url, name)


@pytest.fixture
def live_server(app):
    """The app with the demo organisation, served by a real HTTP server in a thread."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    # A request still running (one a test held back) gives its database connection back
    # before the engine is disposed; left to finish later, the connection is dropped unclosed
    # and its ResourceWarning fails whichever test is running then.
    for request in list(server._threads):
        request.join(timeout=10)


class ServerProcess:
    """The production server (gunicorn) in a process of its own on the test database, so a
    test can kill it outright and start it again on the same address."""

    def __init__(self, app, tmp_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / "access.log"
        self.env = {
            **os.environ,
            "XUNJIAN_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "XUNJIAN_SECRET_KEY": app.config["SECRET_KEY"],
            "XUNJIAN_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        }
        self.process = None

    def start(self):
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
            cwd=Path(__file__).resolve().parents[2],
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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


@pytest.fixture
def server_process(app, tmp_path):
    server = ServerProcess(app, tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.kill()


WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', event =>
    window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`));
"""


@pytest.fixture(autouse=True)
def watch_csp(monkeypatch):
    """Every browser context the tests open records what CSP refuses, from the first byte."""
    open_context = Browser.new_context

    def new_context(self, *args, **kwargs):
        context = open_context(self, *args, **kwargs)
        context.add_init_script(WATCH_CSP)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
