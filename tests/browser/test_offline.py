"""Offline on a phone: the checklist opens with no network, what the inspector captures waits
on the phone (through a reload), and reaches the server exactly once when the network returns,
even when the same queue is replayed or the server is killed mid-sync."""

import io
import json
import os
import re
import time

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import AnswerRecord, Inspection, InspectionPhoto, Scope
from tests.browser.helpers import assert_fits_and_passes_axe, log_in

SYNCED = "全部已保存到服务器。"


@pytest.fixture
def started(server_process):
    """A strip check of the canteen kitchen, started by the demo inspector."""
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    site = db.session.scalar(sa.select(Site).where(Site.code == "CANTEEN-KIT"))
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    db.session.commit()
    return inspection.id


def photo(path, *, noisy=False):
    """A 12 MP phone photo; a noisy one stays large after the browser downscales it."""
    if noisy:
        image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    else:
        image = Image.new("RGB", (4000, 3000), (200, 90, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def on_server(inspection_id):
    """What the server has stored for the inspection, read afresh."""
    db.session.rollback()
    inspection = db.session.get(Inspection, inspection_id)
    db.session.refresh(inspection)
    records = db.session.scalars(
        sa.select(AnswerRecord).where(AnswerRecord.item.has(inspection_id=inspection_id))
    ).all()
    photos = db.session.scalars(
        sa.select(InspectionPhoto).where(InspectionPhoto.item.has(inspection_id=inspection_id))
    ).all()
    return inspection, records, photos


def open_for_offline_use(page, server, inspection_id):
    log_in(page, server.url, "inspector")
    run_url = f"/inspections/{inspection_id}/run"
    page.goto(server.url + run_url)
    wait_until_kept(page, run_url)
    return page.locator("li.item")


def wait_until_kept(page, url):
    """Until the service worker says it has kept the page at `url` for use without network."""
    page.wait_for_function(
        "url => (document.documentElement.dataset.offlineReady || '').split(' ')"
        ".some(kept => kept.endsWith(url))",
        arg=url,
    )


def capture_offline(page, items, tmp_path, *, noisy=False):
    """Three answers (one a failure with a note), and two photos of the failure."""
    failed = items.nth(0)
    failed.get_by_role("button", name="不合格", exact=True).click()
    failed.get_by_label("存在的问题").fill("冷库门封条破损，温度计读数 8℃")
    failed.get_by_label("存在的问题").blur()
    failed.get_by_label("拍照或选择照片").set_input_files(
        [photo(tmp_path / "a.jpg", noisy=noisy), photo(tmp_path / "b.jpg", noisy=noisy)]
    )
    for index in (1, 2):
        items.nth(index).get_by_role("button", name="合格", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="6 条记录暂存本机")).to_be_visible()


def expect_captures_shown(page, items):
    expect(page.get_by_text(re.compile(r"已答 3 / \d+"))).to_be_visible()
    failed = items.nth(0)
    expect(failed.get_by_role("button", name="不合格", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(failed.get_by_label("存在的问题")).to_have_value("冷库门封条破损，温度计读数 8℃")
    expect(failed.locator(".waiting-photo img")).to_have_count(2)
    for index in (1, 2):
        expect(items.nth(index).get_by_role("button", name="合格", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )


def expect_stored_once(inspection_id):
    inspection, records, photos = on_server(inspection_id)
    assert len(records) == 3, "each answer stored once"
    assert len({r.client_uuid for r in records}) == 3 and all(r.client_uuid for r in records)
    assert len(photos) == 2 and len({p.client_uuid for p in photos}) == 2
    assert [i.answer.value for i in inspection.items[:3]] == ["fail", "pass", "pass"]
    assert inspection.items[0].note == "冷库门封条破损，温度计读数 8℃"
    assert {p.item_id for p in photos} == {inspection.items[0].id}


def test_offline_work_survives_a_reload_and_arrives_once(
    browser, browser_context_args, server_process, started, tmp_path
):
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    items = open_for_offline_use(page, server_process, started)

    context.set_offline(True)
    capture_offline(page, items, tmp_path)
    expect_captures_shown(page, items)
    assert on_server(started)[1:] == ([], [])

    served_before = len(server_process.requests())
    page.reload()  # still offline: the checklist comes from the phone, the work from IndexedDB
    expect_captures_shown(page, items)
    expect(page.get_by_role("status").filter(has_text="6 条记录暂存本机")).to_be_visible()
    expect(page.get_by_role("button", name="立即同步")).to_be_visible()
    # The browser checks for a new service worker on a navigation, past the page's emulated
    # offline state; a phone that is really offline cannot. Nothing of the page's may pass.
    reached = [line for line in server_process.requests()[served_before:] if "/sw.js " not in line]
    assert reached == [], "nothing reached the server"
    assert_fits_and_passes_axe(page, "checklist offline, with work waiting")
    queued = page.evaluate(
        "async () => { window.savedQueue = await XunjianOutbox.entries();"
        " return window.savedQueue.map(e => e.kind); }"
    )
    assert sorted(queued) == ["answer", "answer", "answer", "note", "photo", "photo"]

    context.set_offline(False)  # the "online" event starts the sync
    expect(page.get_by_role("status").filter(has_text=SYNCED)).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="立即同步")).to_be_hidden()  # nothing left to send
    expect(items.nth(0).get_by_role("img", name=re.compile("照片 2"))).to_be_visible()
    expect(page.locator("li.item.pending")).to_have_count(0)
    expect_stored_once(started)

    # The same queue, replayed in full: the server recognises every UUID.
    left = page.evaluate(
        """async () => {
            const db = await new Promise((resolve) => {
                const opening = indexedDB.open("xunjian");
                opening.onsuccess = () => resolve(opening.result);
            });
            await new Promise((resolve, reject) => {
                const transaction = db.transaction("outbox", "readwrite");
                for (const entry of window.savedQueue) transaction.objectStore("outbox").put(entry);
                transaction.oncomplete = resolve;
                transaction.onerror = reject;
            });
            await XunjianOutbox.drain();
            return (await XunjianOutbox.entries()).length;
        }"""
    )
    assert left == 0
    expect_stored_once(started)

    # And the page a reload shows offline now has what the server confirmed.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text(re.compile(r"已答 3 / \d+"))).to_be_visible()
    expect(page.locator("li.item.pending")).to_have_count(0)
    context.close()


def test_a_page_the_service_worker_does_not_control_still_has_its_checklist_kept(
    browser, browser_context_args, server_process, started
):
    """A hard reload passes the service worker by, as does a first visit whose page began to
    load before the worker took over: the checklist must still be kept for use offline."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    open_for_offline_use(page, server_process, started)
    page.evaluate("caches.delete('pages')")
    context.new_cdp_session(page).send("Page.reload", {"ignoreCache": True})
    page.wait_for_function("navigator.serviceWorker.controller === null")  # the new page
    run_url = f"/inspections/{started}/run"
    wait_until_kept(page, run_url)

    context.set_offline(True)
    page.goto(server_process.url + run_url)
    expect(page.get_by_text(re.compile(r"已答 0 / \d+"))).to_be_visible()
    context.close()


def test_killing_the_server_mid_sync_loses_nothing_and_stores_once(
    browser, browser_context_args, server_process, started, tmp_path
):
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    items = open_for_offline_use(page, server_process, started)
    network = context.new_cdp_session(page)
    network.send("Network.enable")

    def conditions(offline, upload=-1):
        network.send(
            "Network.emulateNetworkConditions",
            {
                "offline": offline,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": upload,
            },
        )

    conditions(offline=True)
    capture_offline(page, items, tmp_path, noisy=True)

    conditions(offline=False, upload=150_000)  # a slow uplink: photos take seconds each
    deadline = time.monotonic() + 30
    # Kill once the sync has begun and while a photo is still on its slow way up. (The
    # order of answers and photos in the queue depends on how fast the phone downscaled.)
    while True:
        _inspection, records, photos = on_server(started)
        if records and len(photos) < 2:
            break
        assert time.monotonic() < deadline, "the sync did not start"
        time.sleep(0.05)
    server_process.kill()
    assert len(on_server(started)[2]) < 2, "killed mid-sync"
    expect(page.get_by_role("status").filter(has_text="秒后重试")).to_be_visible(timeout=20000)
    server_process.start()

    expect(page.get_by_role("status").filter(has_text=SYNCED)).to_be_visible(timeout=90000)
    expect_stored_once(started)
    outbox = page.evaluate("async () => JSON.stringify(await XunjianOutbox.entries())")
    assert json.loads(outbox) == []
    context.close()


def test_pages_asked_for_again_while_being_fetched_are_fetched_once_more(
    browser, browser_context_args, server_process, started
):
    """A phone syncs after every tap and then asks the worker to keep its pages afresh. Asked
    five times at once, the worker fetches the checklist once, and once more when that fetch is
    done: never the same page twice at once, and never a copy older than the last ask."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    run_url = f"/inspections/{started}/run"
    fetches = WorkerFetches(context, run_url)
    open_for_offline_use(page, server_process, started)
    # Opening the checklist has the worker keep it, and that fetch may still be under way.
    fetches.wait_until_quiet(page)
    fetches.events.clear()
    page.evaluate(
        """async (url) => {
            const worker = (await navigator.serviceWorker.ready).active;
            const replies = [];
            const replied = new Promise((done) => navigator.serviceWorker.addEventListener(
                "message", (event) => replies.push(event.data) === 5 && done()));
            for (let ask = 0; ask < 5; ask++) {
                worker.postMessage({type: "keep-pages", urls: [url], force: true});
            }
            await replied;
        }""",
        server_process.url + run_url,
    )
    assert fetches.events == ["start", "end", "start", "end"], fetches.events
    context.close()


class WorkerFetches:
    """The service worker's own fetches of one page, as "start" and "end" in the order seen."""

    QUIET_SECONDS = 0.5

    def __init__(self, context, url):
        self.url = url
        self.events = []
        self.last_seen = time.monotonic()
        context.on("request", lambda request: self._note(request, "start"))
        context.on("requestfinished", lambda request: self._note(request, "end"))
        context.on("requestfailed", lambda request: self._note(request, "end"))

    def _note(self, request, event):
        if request.service_worker and request.url.endswith(self.url):
            self.events.append(event)
            self.last_seen = time.monotonic()

    def in_flight(self):
        return self.events.count("start") - self.events.count("end")

    def wait_until_quiet(self, page):
        """Until no fetch is under way and none began or ended for a moment: a page asked for
        again is fetched once more right after the fetch under way is kept."""
        deadline = time.monotonic() + 15
        while self.in_flight() or time.monotonic() - self.last_seen < self.QUIET_SECONDS:
            assert time.monotonic() < deadline, self.events
            page.wait_for_timeout(50)
