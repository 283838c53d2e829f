"""What the browser tests share besides fixtures: logging in on the phone, submitting a
checklist, waiting for a request the test holds back, keeping the sync panel redrawing as on a
slow phone, and checking a page fits a phone and passes axe-core (WCAG 2 AA) and its
Content-Security-Policy."""

import re
from pathlib import Path

from playwright.sync_api import expect

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

# A submit renders the report's PDF before it answers, seconds on a loaded machine (3.5 s in a
# CI run). The wait for where it lands checks where, not how fast: speed is bench/'s business.
SUBMIT_MS = 20000


def log_in(page, base_url, username, password="demo12345"):
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/")


def submit_checklist(page, landing_heading):
    """Tap 提交检查 and wait until the page it leads to shows a heading matching
    `landing_heading`."""
    page.get_by_role("button", name="提交检查").click()
    expect(page.get_by_role("heading", name=re.compile(landing_heading))).to_be_visible(
        timeout=SUBMIT_MS
    )


def wait_until_held(page, held: list, seconds: float = 5) -> None:
    """Until a request the test holds back has come (its page.route handler appends the route
    to `held`), for `seconds` at most; the caller asserts what `held` should then hold."""
    for _ in range(round(seconds * 20)):
        if held:
            return
        page.wait_for_timeout(50)


def keep_the_sync_panel_redrawing(page):
    """Redraw the sync panel all the while from now on, as redraws overlap on a slow phone
    (offline.js redraws it on every "offline" event)."""
    page.evaluate("setInterval(() => window.dispatchEvent(new Event('offline')), 0)")


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2 A/AA rules on the page; return what fails."""
    page.evaluate(AXE.read_text())  # as the test's code: the page's own CSP would refuse it
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def assert_fits_and_passes_axe(page, what: str) -> None:
    """No sideways scrolling on this viewport, and no WCAG 2 AA failures axe can find."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"
    assert csp_violations(page) == [], what
    assert axe_violations(page) == [], what


def csp_violations(page) -> list[str]:
    """What the page's Content-Security-Policy refused since the page opened."""
    return page.evaluate("() => window.__cspViolations || ['no CSP watch on this page']")
