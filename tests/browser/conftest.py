"""Real headless Chromium (Debian's) on a phone, against the app served on localhost."""

import threading

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from app.demo import seed_demo
from app.extensions import db
from tests.helpers import (
    ServerProcess,
    app_on,
    copy_of,
    drop_own_database,
    own_database,
    server_environment,
)

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


class Gate:
    """The WSGI app as the live server runs it, counting the requests inside it, so the test's
    teardown can close the gate (later requests, such as one more on a browser's keep-alive
    connection, get 503 without touching the database) and wait until the last one is out
    before the database is emptied or dropped."""

    def __init__(self, app):
        self.app, self.inside, self.closed = app, 0, False
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            if self.closed:
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]
            self.inside += 1
        try:
            return self._buffered(environ, start_response)
        finally:
            with self.changed:
                self.inside -= 1
                self.changed.notify_all()

    def _buffered(self, environ, start_response):
        """Read each response whole before it is sent. Werkzeug's development server skips
        the response's close() when the browser drops the connection mid-body (it does,
        navigating on while an icon downloads), which leaves a file open and fails the test on
        a ResourceWarning that has nothing to do with the app."""
        response = self.app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    def close(self, timeout: float = 10) -> None:
        with self.changed:
            self.closed = True
            self.changed.wait_for(lambda: self.inside == 0, timeout)


@pytest.fixture(scope="session")
def demo_template(database_url, schema, tmp_path_factory):
    """The demo organisation (without its inspection history), seeded once for the run: each
    browser test starts from a copy of its database and of its stored files."""
    folder = tmp_path_factory.mktemp("demo")
    url = own_database(database_url, folder, "demo")
    app = app_on(url, folder / "files")
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield url, folder / "files"
    drop_own_database(database_url, "demo")


@pytest.fixture
def app_config(app_config, demo_template, database_url):
    """A test's own copy of the demo: its database and its stored files."""
    with copy_of(*demo_template, app_config, database_url) as config:
        yield config


@pytest.fixture
def live_server(app):
    """The app with the demo organisation, served by a real HTTP server in a thread."""
    gate = Gate(app)
    server = make_server("127.0.0.1", 0, gate, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    # A request still running (one a test held back) gives its database connection back
    # before the tables are emptied and the engine disposed; left to run on, it deadlocked
    # with the emptying, and its connection, dropped unclosed, failed a later test.
    gate.close()
    server.shutdown()
    thread.join()


@pytest.fixture
def server_process(app, tmp_path):
    server = ServerProcess(server_environment(app.config), tmp_path / "access.log")
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
