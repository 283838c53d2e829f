"""What a phone downloads: the checklist's first load is small, a repeat visit only its HTML."""

from tests.browser.test_checklist import start_lobby_check

STATIC_TYPES = {"Script", "Stylesheet", "Image", "Font", "Manifest", "Other"}


class Wire:
    """Bytes over the network per request, from Chromium's own accounting."""

    def __init__(self, context, page):
        self.session = context.new_cdp_session(page)
        self.session.send("Network.enable")
        self.kinds, self.urls, self.bytes = {}, {}, {}
        self.session.on("Network.responseReceived", self._response)
        self.session.on("Network.loadingFinished", self._finished)

    def _response(self, event):
        self.kinds[event["requestId"]] = event["type"]
        self.urls[event["requestId"]] = event["response"]["url"]

    def _finished(self, event):
        self.bytes[event["requestId"]] = event["encodedDataLength"]

    def reset(self):
        self.kinds, self.urls, self.bytes = {}, {}, {}

    def total(self) -> int:
        return sum(self.bytes.values())

    def static_downloads(self) -> list[str]:
        return [
            self.urls[rid]
            for rid, size in self.bytes.items()
            if size > 0 and self.kinds.get(rid) in STATIC_TYPES
        ]


def test_the_checklist_loads_small_and_a_repeat_visit_fetches_only_its_html(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, service_workers="block"
    )
    page = context.new_page()
    start_lobby_check(page, live_server)
    checklist = page.url
    wire = Wire(context, page)
    wire.session.send("Network.clearBrowserCache")
    page.goto(checklist)
    page.wait_for_load_state("networkidle")
    assert wire.total() <= 60_000, f"first load {wire.total()} bytes over the wire"

    wire.reset()
    page.goto(checklist)
    page.wait_for_load_state("networkidle")
    assert wire.static_downloads() == [], "scripts, styles and icons come from the cache"
    context.close()
