"""Real headless Chromium (Debian's) on a phone, against the app served on localhost."""

import collections
import threading
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from app.core.extensions import db
from app.demo import seed_demo
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

OUTBOX_NOW = """async () => {
  const panel = document.querySelector('#sync .sync-status');
  const entries = window.XunjianOutbox ? await XunjianOutbox.entries() : null;
  return {
    entries: entries
      ? entries.map((e) => `${e.seq} ${e.kind} ${e.status} ${e.attempts} ${e.reason || ''}`)
      : ['(no outbox on this page: offline.js has not run)'],
    panel: panel ? panel.textContent : null,
  };
}"""


STATIC = "/static/"


class BrowserLog:
    """What a test's pages asked of the server and wrote to their console (the latest
    lines), and what waits in each open page's outbox: shown beside a failing test, as the
    server's own log is."""

    def __init__(self):
        self.started = time.monotonic()
        self.lines = collections.deque(maxlen=30)
        self.contexts = []

    def watch(self, context):
        self.contexts.append(context)
        context.on("request", lambda r: self.note(r.url, f"-> {r.method}{_by_worker(r)}"))
        context.on("response", lambda r: self.note(r.url, f"<- {r.status}{_by_worker(r.request)}"))
        context.on("requestfailed", lambda r: self.note(r.url, f"xx {r.failure}{_by_worker(r)}"))
        context.on("console", lambda m: self.note(m.location["url"], f"console.{m.type}: {m.text}"))

    def note(self, url, what):
        path = _path(url)
        if not path.startswith(STATIC):  # the scripts and styles each page loads: noise here
            self.lines.append(f"{time.monotonic() - self.started:7.2f}s {what} {path}")

    def report(self) -> str:
        lines = list(self.lines)
        for context in self.contexts:
            for page in context.pages:
                if not page.url.startswith("http"):
                    continue  # a blank page has no outbox
                try:  # waited for a few seconds at most: the page may be stuck
                    now = page.wait_for_function(OUTBOX_NOW, timeout=3000).json_value()
                except Exception as error:  # a closed or stuck page: say so and go on
                    reason = str(error).splitlines()[0]
                    lines.append(f"{_path(page.url)}: outbox unreadable ({reason})")
                    continue
                lines.append(f"{_path(page.url)}: sync panel {now['panel']!r}")
                lines.extend(f"  outbox (seq kind status tries reason) {e}" for e in now["entries"])
        return "\n".join(lines)


def _by_worker(request) -> str:
    return " (service worker)" if request.service_worker else ""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(autouse=True)
def watch_browser(request, monkeypatch):
    """Every browser context the tests open records what CSP refuses, from the first byte,
    and logs its requests for the report of a failing test."""
    open_context = Browser.new_context
    log = request.node.browser_log = BrowserLog()

    def new_context(self, *args, **kwargs):
        context = open_context(self, *args, **kwargs)
        context.add_init_script(WATCH_CSP)
        log.watch(context)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    log = getattr(item, "browser_log", None)
    if report.when == "call" and report.failed and log and hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("what the browser did last, and its outbox", log.report())
    return report
