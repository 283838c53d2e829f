"""The organisation workbook on a phone: the administrator uploads, reads the dry run, and
confirms, one-handed on a 360 px screen."""

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.helpers import assert_fits_and_passes_axe, log_in


def phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
    )
    return context, context.new_page()


def edited_export(page, live_server) -> bytes:
    """The demo's own export with a place renamed, one gone and one new with a bad parent."""
    data = page.request.get(f"{live_server}/organisation/export.xlsx").body()
    book = load_workbook(io.BytesIO(data))
    places = book["场所"]
    places["B2"] = "市级机关集中办公区（东院）"
    places.delete_rows(places.max_row)
    places.append(["B9", "9号楼", "楼宇", "NOWHERE"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(page, live_server, data: bytes) -> None:
    page.goto(f"{live_server}/organisation/import")
    page.get_by_label("组织工作簿（.xlsx）").set_input_files(
        {"name": "org.xlsx", "mimeType": "application/octet-stream", "buffer": data}
    )
    page.get_by_role("button", name="检查工作簿").click()
    expect(page.get_by_role("heading", name="组织工作簿试导入")).to_be_visible()


def test_an_administrator_checks_and_imports_the_workbook_on_a_phone(
    app, browser, live_server, tmp_path
):
    app.instance_path = str(tmp_path / "instance")  # where uploads wait for confirmation
    context, page = phone(browser)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/organisation/import")
    assert_fits_and_passes_axe(page, "organisation workbook page")
    data = edited_export(page, live_server)

    upload(page, live_server, data)
    expect(page.get_by_text("场所 · 第 30 行 · 上级编码")).to_be_visible()
    expect(page.get_by_role("button", name="按此导入")).to_have_count(0)
    assert_fits_and_passes_axe(page, "dry run with problems")

    book = load_workbook(io.BytesIO(data))
    book["场所"].delete_rows(book["场所"].max_row)
    buffer = io.BytesIO()
    book.save(buffer)
    upload(page, live_server, buffer.getvalue())
    expect(page.locator("ins", has_text="市级机关集中办公区（东院）")).to_be_visible()
    page.get_by_text("系统中有而工作簿中没有的场所").click()
    assert_fits_and_passes_axe(page, "dry run with a change and a missing place")
    page.get_by_role("button", name="按此导入").click()
    expect(page.get_by_text("已导入：新建 0 条，修改 1 条。")).to_be_visible()
    context.close()
