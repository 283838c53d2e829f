"""Photos kept in object storage that hands out signed links (XUNJIAN_STORAGE_SIGNED_URLS=1):
each photo redirects to the store's own host, and the pages' Content-Security-Policy lets the
phone show them there, with its service worker and without."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import TimeoutError

from app.auth.models import User
from app.catalog.models import ServiceLine, Site
from app.core.extensions import db
from app.core.files import configured_store, copy_files
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer, record_note
from tests.browser.helpers import csp_violations, log_in
from tests.helpers import jpeg

SHOWN = "img => img.complete && img.naturalWidth > 0"


@pytest.fixture
def app_config(app_config, object_store, tmp_path):
    """The test's copy of the demo, its files in the object store, which signs links."""
    signed = {**app_config, **object_store.settings(f"{tmp_path.name}/signed")}
    signed["STORAGE_SIGNED_URLS"] = True
    source, target = configured_store(app_config), configured_store(signed)
    copy_files(source, target)
    source.close()
    target.close()
    return signed


@pytest.mark.parametrize("service_workers", ["allow", "block"])
def test_a_checklists_photo_shows_from_the_store_that_signs_links(
    browser, live_server, object_store, service_workers
):
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    line = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CAT"))
    site = db.session.scalar(sa.select(Site).where(Site.code == "CANTEEN-KIT"))
    inspection = start_inspection(Plan(Scope.STRIP, site, service_line=line), inspector)
    item = inspection.items[0]
    record_answer(item, Answer.FAIL, inspector)
    record_note(item, "留样柜温度过高", inspector)
    attach_photo(item, jpeg(), inspector)
    db.session.commit()

    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        service_workers=service_workers,
    )
    from_store = []
    context.on(
        "response", lambda r: r.url.startswith(object_store.endpoint) and from_store.append(r)
    )
    page = context.new_page()
    log_in(page, live_server, "inspector")
    page.goto(f"{live_server}/inspections/{inspection.id}/run")
    if service_workers == "allow":
        # the service worker fetches the photo for the page, under its own policy
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.reload()

    photo = page.locator("li.item .photos img").first
    photo.scroll_into_view_if_needed()
    try:
        page.wait_for_function(SHOWN, arg=photo.element_handle(), timeout=10000)
    except TimeoutError:
        pytest.fail(f"the photo is not shown; CSP refused {csp_violations(page)}")
    assert csp_violations(page) == []
    assert from_store, "the photo came by a signed link from the store's host"
    context.close()
