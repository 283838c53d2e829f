"""The organisation workbook: export, dry run, import all or nothing, by key, from the page
and from the command line; and the administrator's guided start."""

import io
import re
import secrets
import struct
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import Workbook, load_workbook
from stdnum.cn import uscc

from app.auth.models import Invitation, Role, User
from app.catalog.models import (
    Certificate,
    CheckCategory,
    CheckPoint,
    Contractor,
    ServiceLine,
    Severity,
    Site,
    SiteKind,
)
from app.catalog.standards_io import load_default_catalogue
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.demo import CONTRACTORS as DEMO_CONTRACTORS
from app.demo import seed_demo
from app.inspections.models import Inspection, Party, Schedule, Scope, Tier
from app.organisation.apply import apply_plan
from app.organisation.export import export_workbook, template_workbook
from app.organisation.plan import plan_import
from app.organisation.sheets import PLACES, SHEETS
from tests.helpers import PASSWORD, app_on, drop_own_database, login, own_database


def licence(n: int) -> str:
    """A unified social credit code with a right check digit."""
    body = f"91320100MA1N{n:05d}"
    return body + uscc.calc_check_digit(body)


def place(code, name=None, kind="园区", parent=""):
    return [code, name or f"场所{code}", kind, parent]


def company(name="安泰物业服务有限公司", short="安泰", code=None, **fields):
    values = {
        "contact": "王建国",
        "phone": "13905170001",
        "start": "2026-01-01",
        "end": "2028-12-31",
        "value": 1000000,
        "share": 5,
        "satisfaction": 90,
        "lines": "CLN",
        "sites": "",
        "active": "是",
    } | fields
    return [name, short, code or licence(1), *values.values()]


def person(contractor="安泰物业服务有限公司", name="刘海", kind="", number="", **fields):
    values = {"post": "保洁领班", "phone": "13800000001", "active": "是"} | fields
    issued, expires = fields.get("issued"), fields.get("expires")
    if kind and expires is None:
        issued, expires = date(2025, 1, 1), date(2028, 1, 1)
    return [
        contractor,
        name,
        values["post"],
        values["phone"],
        values["active"],
        kind,
        number,
        issued,
        expires,
    ]


def account(username, name="张巡", role="监管员", contractor="", **fields):
    values = {"email": "", "phone": "", "active": "是"} | fields
    return [username, name, role, contractor, values["email"], values["phone"], values["active"]]


def workbook(headers: dict | None = None, **sheets) -> bytes:
    """An organisation workbook: rows for the sheets named (places, contractors, staff,
    accounts), under the format's headers unless others are given."""
    book = Workbook()
    if sheets:
        book.remove(book.active)
    for spec in SHEETS:
        if spec.key in sheets:
            sheet = book.create_sheet(spec.title)
            sheet.append((headers or {}).get(spec.key, spec.headers))
            for row in sheets[spec.key]:
                sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def imported(data: bytes, actor=None):
    """Plan and apply a workbook that must be good; the plan."""
    plan = plan_import(data, actor)
    assert plan.ok, plan.problems
    apply_plan(plan, actor)
    db.session.commit()
    return plan


def sheet_rows(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


@pytest.fixture
def lines(app):
    cleaning, security = (
        ServiceLine(code="CLN", name="保洁服务"),
        ServiceLine(code="SEC", name="安保"),
    )
    db.session.add_all([cleaning, security])
    db.session.commit()
    return cleaning, security


SMALL_ORG = dict(
    places=[
        place("B1-F1", "一层", "楼层", "B1"),  # before its parent: the tree is resolved
        place("HQ", "机关大院"),
        place("B1", "1号楼", "楼宇", "HQ"),
        place("007", "配电房", "房间/区域", "HQ"),
    ],
    contractors=[company(sites="B1、007", lines="CLN, SEC")],
    staff=[
        person(kind="上岗证", number="SG1"),
        person(kind="健康证", number="JK1"),
        person(name="杨桂兰", phone="13800000002"),
    ],
    accounts=[
        account("zhangxun"),
        account("wangjg", "王建国", "承包单位", licence(1), email="wang@example.com"),
    ],
)


# --- the round trip, the dry run, re-importing, updating by key ------------------------------


def test_the_demo_round_trips_through_an_empty_install(app, database_url, tmp_path):
    seed_demo(history=False)
    first = export_workbook()
    name = f"org_{secrets.token_hex(3)}"
    empty = app_on(own_database(database_url, tmp_path, name), tmp_path / "files")
    try:
        with empty.app_context():
            load_default_catalogue()  # going live starts with the standards library
            db.session.commit()
            imported(first)
            again = export_workbook()
            assert plan_import(again).counts() == {
                key: {"created": 0, "changed": 0, "unchanged": n, "missing": 0}
                for key, n in (
                    ("places", 29),
                    ("contractors", len(DEMO_CONTRACTORS)),
                    ("staff", 18),
                    ("certificates", 20),
                    ("accounts", 12),
                )
            }
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_own_database(database_url, name)
    assert sheet_rows(again) == sheet_rows(first)
    assert len(sheet_rows(first)["场所"]) == 30


def test_the_demo_contractors_have_codes_that_pass_the_check_digit():
    assert all(uscc.is_valid(row[2]) for row in DEMO_CONTRACTORS)


def test_an_import_creates_the_tree_the_company_its_people_and_accounts(app, lines):
    imported(workbook(**SMALL_ORG))

    sites = {site.code: site for site in db.session.scalars(sa.select(Site))}
    assert sites["B1-F1"].parent is sites["B1"] and sites["B1"].parent is sites["HQ"]
    assert sites["007"].kind == SiteKind.AREA and sites["HQ"].parent is None
    firm = db.session.scalar(sa.select(Contractor))
    assert firm.licence_no == licence(1) and firm.contract_end == date(2028, 12, 31)
    assert {line.code for line in firm.service_lines} == {"CLN", "SEC"}
    assert {site.code for site in firm.sites} == {"B1", "007"}
    assert sorted((m.name, len(m.certificates)) for m in firm.staff) == [("刘海", 2), ("杨桂兰", 0)]
    wang = db.session.scalar(sa.select(User).where(User.username == "wangjg"))
    assert wang.role == Role.CONTRACTOR and wang.contractor is firm
    assert wang.email == "wang@example.com"


def test_a_dry_run_writes_nothing(app, lines, make_user):
    make_user(Role.ADMIN)
    before = row_counts()
    plan = plan_import(workbook(**SMALL_ORG))
    assert plan.ok and plan.has_changes
    assert row_counts() == before


def test_importing_the_same_workbook_again_changes_nothing(app, lines):
    data = workbook(**SMALL_ORG)
    imported(data)
    before = row_counts()

    plan = plan_import(data)

    assert plan.ok and not plan.has_changes
    assert all(c["created"] == c["changed"] == 0 for c in plan.counts().values())
    assert plan.counts()["places"]["unchanged"] == 4
    apply_plan(plan)
    db.session.commit()
    assert {k: v for k, v in row_counts().items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def test_an_edited_row_updates_its_record_by_key(app, lines, make_user):
    imported(workbook(**SMALL_ORG))
    edited = dict(SMALL_ORG)
    edited["places"] = [
        place("HQ", "市级机关集中办公区"),
        *SMALL_ORG["places"][:1],
        *SMALL_ORG["places"][2:],
    ]
    edited["contractors"] = [company(short="安泰物业", share="6.5", sites="B1", lines="CLN")]
    edited["staff"] = [
        person(kind="上岗证", number="SG1", expires=date(2030, 1, 1), issued=date(2025, 1, 1)),
        person(kind="健康证", number="JK1"),
        person(name="杨桂兰", phone="13800000002", active="否"),
    ]
    edited["accounts"] = [account("ZhangXun", "张巡", "监管科管理员"), SMALL_ORG["accounts"][1]]

    plan = plan_import(workbook(**edited))

    changed = {key: o.changed for key, o in plan.outcomes.items() if o.changed}
    assert [d.column for d in changed["places"][0].differences] == ["名称"]
    firm_change = changed["contractors"][0].differences
    assert [(d.column, d.old, d.new) for d in firm_change] == [
        ("简称", "安泰", "安泰物业"),
        ("保证金比例（%）", "5", "6.5"),
        ("服务项目", "CLN、SEC", "CLN"),
        ("服务场所", "007、B1", "B1"),
    ]
    assert [d.new for d in changed["certificates"][0].differences] == ["2030-01-01"]
    assert [d.column for d in changed["staff"][0].differences] == ["在职"]
    assert [(d.old, d.new) for d in changed["accounts"][0].differences] == [
        ("监管员", "监管科管理员")
    ]
    apply_plan(plan)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 4
    assert db.session.scalar(sa.select(Site.name).where(Site.code == "HQ")) == "市级机关集中办公区"
    firm = db.session.scalar(sa.select(Contractor))
    assert firm.short_name == "安泰物业" and str(firm.deposit_share) == "6.50"
    assert [site.code for site in firm.sites] == ["B1"]
    zhang = db.session.scalar(sa.select(User).where(User.username == "zhangxun"))
    assert zhang.role == Role.MANAGER  # the username matched whatever its case
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_a_record_missing_from_the_workbook_is_listed_never_deleted(app, lines):
    imported(workbook(**SMALL_ORG))
    shorter = dict(SMALL_ORG, places=SMALL_ORG["places"][:3], staff=SMALL_ORG["staff"][:1])

    plan = imported(workbook(**shorter))

    assert plan.outcomes["places"].missing == ["007 配电房"]
    assert plan.outcomes["staff"].missing == ["安泰 · 杨桂兰 13800000002"]
    assert plan.outcomes["certificates"].missing == ["刘海 · 健康证 JK1"]
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2


def test_imported_accounts_have_no_password_and_existing_ones_keep_theirs(app, lines, make_user):
    admin = make_user(Role.ADMIN, username="boss")
    kept_hash = admin.password_hash
    imported(workbook(accounts=[account("boss", "局长", "系统管理员"), account("zhangxun")]))

    zhang = db.session.scalar(sa.select(User).where(User.username == "zhangxun"))
    for guess in ("", PASSWORD, "demo12345", zhang.password_hash):
        assert not zhang.check_password(guess)
    assert db.session.get(User, admin.id).password_hash == kept_hash
    assert db.session.get(User, admin.id).display_name == "局长"


def test_codes_keep_leading_zeros_and_numbers_read_as_text(app, lines):
    book = Workbook()
    sheet = book.active
    sheet.title = PLACES.title
    sheet.append(PLACES.headers)
    sheet.append(["007", "配电房", "园区", None])
    sheet.append([101, "101室", "房间/区域", "007"])  # a number cell: the text of the integer
    buffer = io.BytesIO()
    book.save(buffer)

    imported(buffer.getvalue())

    assert set(db.session.scalars(sa.select(Site.code))) == {"007", "101"}


def test_the_template_explains_every_column_and_its_examples_import(app):
    load_default_catalogue()
    db.session.commit()
    rows = sheet_rows(template_workbook())

    explained = {(row[0], row[1]) for row in rows["说明"] if row and row[0] in rows}
    assert explained == {(spec.title, header) for spec in SHEETS for header in spec.headers}
    plan = imported(template_workbook())
    assert plan.counts()["places"]["created"] == 4


# --- every kind of bad row, named by sheet, row and column -----------------------------------

BAD_ROWS = {
    "missing parent": (
        dict(places=[place("B1", kind="楼宇", parent="HQ")]),
        ("场所", 2, "上级编码", "HQ"),
    ),
    "a cycle": (
        dict(places=[place("A", kind="楼宇", parent="B"), place("B", kind="楼宇", parent="A")]),
        ("场所", 2, "上级编码", "lead back"),
    ),
    "a building at the top": (dict(places=[place("B1", kind="楼宇")]), ("场所", 2, "类型", "")),
    "duplicate place code": (
        dict(places=[place("HQ"), place("HQ", "又一个")]),
        ("场所", 3, "编码", "row 2"),
    ),
    "unknown kind": (dict(places=[place("HQ", kind="大楼")]), ("场所", 2, "类型", "")),
    "unknown service line": (
        dict(contractors=[company(lines="CLN、XYZ")]),
        ("承包商", 2, "服务项目", "XYZ"),
    ),
    "unknown place": (dict(contractors=[company(sites="NOWHERE")]), ("承包商", 2, "服务场所", "")),
    "wrong check digit": (
        dict(contractors=[company(code=licence(1)[:-1] + ("0" if licence(1)[-1] != "0" else "1"))]),
        ("承包商", 2, "统一社会信用代码", "check digit"),
    ),
    "not a licence at all": (
        dict(contractors=[company(code="12345")]),
        ("承包商", 2, "统一社会信用代码", ""),
    ),
    "duplicate licence": (
        dict(contractors=[company(), company(name="另一家公司")]),
        ("承包商", 3, "统一社会信用代码", "row 2"),
    ),
    "not a date": (dict(contractors=[company(start="明年")]), ("承包商", 2, "合同开始", "")),
    "31 February": (dict(contractors=[company(end="2027-02-31")]), ("承包商", 2, "合同结束", "")),
    "contract ending before it starts": (
        dict(contractors=[company(start="2027-01-01", end="2026-12-31")]),
        ("承包商", 2, "合同结束", "before"),
    ),
    "deposit share over 100": (
        dict(contractors=[company(share=120)]),
        ("承包商", 2, "保证金比例（%）", "between 0 and 100"),
    ),
    "satisfaction below 0": (
        dict(contractors=[company(satisfaction=-1)]),
        ("承包商", 2, "承诺满意率（%）", ""),
    ),
    "contract value not a number": (
        dict(contractors=[company(value="三百万")]),
        ("承包商", 2, "合同金额（元/年）", ""),
    ),
    "unknown contractor": (
        dict(staff=[person(contractor="无名公司")]),
        ("人员证书", 2, "承包商", "无名公司"),
    ),
    "a certificate without expiry": (
        dict(staff=[person(kind="健康证", expires="")]),
        ("人员证书", 2, "有效期至", ""),
    ),
    "same person told two ways": (
        dict(
            contractors=[company()],
            staff=[person(kind="健康证", number="1"), person(kind="上岗证", post="保安")],
        ),
        ("人员证书", 3, "岗位", "Row 2"),
    ),
    "duplicate username": (
        dict(accounts=[account("zhangxun"), account("ZHANGXUN")]),
        ("账号", 3, "用户名", "row 2"),
    ),
    "unknown role": (dict(accounts=[account("zhangxun", role="队长")]), ("账号", 2, "角色", "")),
    "a contractor account without a contractor": (
        dict(accounts=[account("wang", role="承包单位")]),
        ("账号", 2, "承包商", "must belong"),
    ),
    "a manager account with a contractor": (
        dict(
            contractors=[company()],
            accounts=[account("chen", role="监管科管理员", contractor=licence(1))],
        ),
        ("账号", 2, "承包商", "Only contractor users"),
    ),
    "a bad e-mail address": (
        dict(accounts=[account("zhangxun", email="zhang@")]),
        ("账号", 2, "电子邮箱", ""),
    ),
    "a formula": (
        dict(places=[place("HQ", name='=CONCAT("机关","大院")')]),
        ("场所", 2, "名称", "formula"),
    ),
}


@pytest.fixture
def english(app):
    """Messages in English, for the assertions."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize("kind", BAD_ROWS)
def test_each_bad_row_is_named_and_nothing_is_imported(app, lines, english, kind):
    sheets, (sheet, row, column, words) = BAD_ROWS[kind]
    sheets = {"places": [place("HQ")], **sheets} if kind != "a formula" else sheets
    before = row_counts()

    plan = plan_import(workbook(**sheets))

    where = [(p.sheet, p.row, p.column) for p in plan.problems]
    assert (sheet, row, column) in where, plan.problems
    problem = plan.problems[where.index((sheet, row, column))]
    assert words in problem.message
    assert row_counts() == before


def test_a_formula_is_refused_without_being_evaluated(app, english):
    """openpyxl writes a string starting with = as a formula; the cell has no cached value."""
    plan = plan_import(workbook(places=[place("HQ", name="=1+1")]))
    assert [(p.row, p.column) for p in plan.problems] == [(2, "名称")]


def test_the_importing_administrator_cannot_lock_themselves_out(app, make_user, english):
    me = make_user(Role.ADMIN, username="boss")
    other = make_user(Role.ADMIN, username="second")

    demoted = plan_import(workbook(accounts=[account("boss", role="监管员")]), actor=me)
    deactivated = plan_import(
        workbook(accounts=[account("BOSS", role="系统管理员", active="否")]), actor=me
    )
    nobody_left = plan_import(
        workbook(
            accounts=[account("boss", role="监管员"), account("second", role="监管员")]
        )  # from the command line: no one imports, but someone must remain
    )

    assert [(p.column, p.message) for p in demoted.problems] == [
        ("角色", "You cannot remove your own administrator access.")
    ]
    assert [p.column for p in deactivated.problems] == ["启用"]
    assert [p.message for p in nobody_left.problems] == [
        "At least one active administrator must remain."
    ]
    assert db.session.get(User, other.id).role == Role.ADMIN


# --- bad files -------------------------------------------------------------------------------


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A real OLE2 compound file (what Office writes for an .xls, and for an .xlsx encrypted
    with a password: streams EncryptionInfo and EncryptedPackage), streams of 4 KiB so they
    live in ordinary 512-byte sectors."""
    free, end, fat_sector, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    fat, body, entries = [fat_sector, end], b"", []
    for name, data in streams.items():
        data = data.ljust(4096, b"\0")
        first, count = len(fat), len(data) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        entries.append((name, 2, first, len(data)))
        body += data

    def entry(name, kind, start, size, child=nostream, right=nostream):
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, nostream, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, end, 0, child=1)
    for index, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(
            name, kind, start, size, right=index + 1 if index < len(entries) else nostream
        )
    directory = directory.ljust(512, b"\0")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    return header + fat_bytes + directory + body


def rows_xml(count: int) -> bytes:
    """A places sheet of `count` data rows, written as XML directly (openpyxl takes seconds)."""
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>P{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>区域</t></is></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>园区</t></is></c></row>'
        for n in range(2, count + 2)
    )
    return cells.encode()


def with_sheet_xml(data: bytes, title: str, change) -> bytes:
    """The workbook with one sheet's XML changed by `change(xml) -> xml`."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    paths = {"场所": "xl/worksheets/sheet1.xml"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == paths[title]:
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


def merged(data: bytes) -> bytes:
    book = load_workbook(io.BytesIO(data))
    book[PLACES.title].merge_cells("B2:B3")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BAD_FILES = {
    "not a workbook": (lambda: b"name,code\nHQ,1\n", "not an XLSX workbook"),
    "a zip that is no workbook": (
        lambda: _zip({"hello.txt": b"hi"}),
        "not an XLSX workbook",
    ),
    "a password": (
        lambda: compound_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x"}),
        "protected by a password",
    ),
    "an old .xls": (lambda: compound_file({"Workbook": b"\x09\x08"}), ".xls"),
    "no sheet of ours": (lambda: workbook(), "none of the sheets"),
    "a header missing": (
        lambda: workbook(
            headers={"places": ["编码", "名称", "上级编码"]}, places=[["HQ", "x", ""]]
        ),
        "类型",
    ),
    "merged cells": (
        lambda: merged(workbook(places=[place("HQ"), place("GATE", kind="园区")])),
        "Merged cells",
    ),
    "100,000 rows in one sheet": (
        lambda: with_sheet_xml(
            workbook(places=[]),
            "场所",
            lambda xml: xml.replace(b"</sheetData>", rows_xml(100_000) + b"</sheetData>"),
        ),
        "at most 20000 rows",
    ),
}


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", BAD_FILES)
def test_each_bad_file_gets_a_clear_message_and_nothing_is_written(app, english, kind):
    make, words = BAD_FILES[kind]
    before = row_counts()

    plan = plan_import(make())

    assert not plan.ok
    assert any(words in problem.message for problem in plan.problems), plan.problems
    assert row_counts() == before


def test_a_file_over_the_upload_limit_is_refused(app, english):
    app.config["UPLOAD_LIMIT_MB"] = 1
    plan = plan_import(workbook(places=[place("HQ")]).ljust(1024 * 1024 + 1, b"\0"))
    assert plan.problems[0].message.startswith("Uploads may be at most 1 MB")


def test_merged_cells_are_named_by_sheet_row_and_range(app, english):
    plan = plan_import(merged(workbook(places=[place("HQ"), place("GATE")])))
    where = [(p.sheet, p.row, p.column) for p in plan.problems]
    assert where == [("场所", 2, "B2:B3"), ("场所", 3, "名称")]  # the merge left B3 empty


# --- the command line ------------------------------------------------------------------------


def test_org_export_then_import_from_the_command_line(app, lines, tmp_path):
    runner = app.test_cli_runner()
    source = tmp_path / "org.xlsx"
    source.write_bytes(workbook(**SMALL_ORG))

    dry = runner.invoke(args=["org", "import", str(source), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "场所：新建 4，修改 0，不变 0，工作簿中没有 0" in dry.output
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 0

    real = runner.invoke(args=["org", "import", str(source)])
    assert real.exit_code == 0, real.output
    assert re.search(r"zhangxun 的邀请链接：\S+/invite/\S+", real.output), "shown this once"
    assert "wangjg 的邀请链接" in real.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 2

    exported = tmp_path / "again.xlsx"
    assert runner.invoke(args=["org", "export", str(exported)]).exit_code == 0
    again = runner.invoke(args=["org", "import", str(exported)])
    assert again.exit_code == 0 and "没有需要修改的内容" in again.output


def test_org_import_exits_1_and_prints_each_bad_row(app, lines, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        workbook(
            places=[place("HQ"), place("B1", kind="楼宇", parent="NOPE")],
            contractors=[company(share=200)],
        )
    )

    result = app.test_cli_runner().invoke(args=["org", "import", str(bad)])

    assert result.exit_code == 1
    assert "场所 · 第 3 行 · 上级编码：本表和系统中都没有编码为 NOPE 的场所。" in result.output
    assert "承包商 · 第 2 行 · 保证金比例（%）：须在 0 到 100 之间。" in result.output
    assert "未导入任何数据：共 2 个问题。" in result.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 0


def test_org_import_refuses_a_file_that_is_not_a_workbook(app, tmp_path):
    other = tmp_path / "names.xlsx"
    other.write_text("this is text")
    result = app.test_cli_runner().invoke(args=["org", "import", str(other), "--dry-run"])
    assert result.exit_code == 1 and "这不是 XLSX 工作簿" in result.output


def test_org_import_refuses_a_file_over_the_upload_limit_unread(app, tmp_path):
    app.config["UPLOAD_LIMIT_MB"] = 1
    big = tmp_path / "big.xlsx"
    big.write_bytes(workbook(places=[place("HQ")]).ljust(1024 * 1024 + 1, b"\0"))
    result = app.test_cli_runner().invoke(args=["org", "import", str(big)])
    assert result.exit_code == 1 and "1 MB" in result.output


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(app, client, make_user, tmp_path):
    app.instance_path = str(tmp_path / "instance")  # where uploads wait for confirmation
    admin = make_user(Role.ADMIN, username="boss")
    login(client, admin)
    return client


def upload(client, data: bytes, name="org.xlsx"):
    return client.post(
        "/organisation/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)[1]


def test_upload_dry_run_then_confirm_imports_exactly_what_was_shown(app, admin_client, lines):
    page = admin_client.get("/organisation/import")
    assert page.status_code == 200 and "/organisation/template.xlsx" in page.text

    uploaded = upload(admin_client, workbook(**SMALL_ORG))
    assert uploaded.status_code == 302
    review = admin_client.get(uploaded.location)
    assert review.status_code == 200
    assert "尚未写入任何数据" in review.text and "按此导入" in review.text
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 0

    confirmed = admin_client.post(
        uploaded.location,
        data={"workbook": hidden(review.text, "workbook"), "plan": hidden(review.text, "plan")},
    )
    # the new accounts' invitation links, shown this once
    assert confirmed.status_code == 200 and "已导入：新建 11 条，修改 0 条。" in confirmed.text
    assert confirmed.headers["Cache-Control"] == "no-store"
    links = re.findall(r'value="https?://[^/"]+(/invite/[^"]+)"', confirmed.text)
    assert len(links) == 2 and "zhangxun" in confirmed.text and "wangjg" in confirmed.text
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 2
    stored = {i.token_hash for i in db.session.scalars(sa.select(Invitation))}
    assert not any(link.rsplit("/", 1)[1] in stored for link in links), "only hashes are kept"
    assert not list((Path(app.instance_path) / "imports").iterdir()), "the upload was removed"
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "organisation_imported")
    )
    assert "场所：新建 4" in event.detail and event.actor.username == "boss"

    again = admin_client.post(
        uploaded.location,
        data={"workbook": hidden(review.text, "workbook"), "plan": hidden(review.text, "plan")},
    )
    assert again.location == "/organisation/import"  # used once: it is gone

    admin_client.post("/logout")
    invited = admin_client.get(links[0])
    assert invited.status_code == 200 and "zhangxun" in invited.text, "the person's own link"


def test_an_upload_not_confirmed_within_a_day_is_gone(app, admin_client, lines):
    uploaded = upload(admin_client, workbook(**SMALL_ORG))
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        answer = admin_client.get(uploaded.location)
    assert answer.location == "/organisation/import"
    assert not list((Path(app.instance_path) / "imports").iterdir())


def test_a_confirmation_after_the_system_changed_shows_the_new_dry_run(app, admin_client, lines):
    uploaded = upload(admin_client, workbook(**SMALL_ORG))
    review = admin_client.get(uploaded.location).text
    db.session.add(Site(code="HQ", name="先建的", kind=SiteKind.COMPOUND))
    db.session.commit()

    answer = admin_client.post(
        uploaded.location,
        data={"workbook": hidden(review, "workbook"), "plan": hidden(review, "plan")},
    )

    assert answer.location == uploaded.location
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 1
    assert "先建的" in admin_client.get(uploaded.location).text  # the change, in the new dry run


def test_a_workbook_with_problems_lists_them_and_offers_no_confirmation(admin_client, lines):
    uploaded = upload(admin_client, workbook(places=[place("B1", kind="楼宇", parent="HQ")]))
    review = admin_client.get(uploaded.location)
    assert "场所 · 第 2 行 · 上级编码" in review.text
    assert "按此导入" not in review.text


def test_an_upload_that_is_no_workbook_is_refused_on_the_form(admin_client):
    answer = upload(admin_client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xlsx")
    assert answer.status_code == 422 and ".xls" in answer.text


def test_an_upload_over_the_limit_is_refused_before_it_is_read(app, admin_client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    answer = upload(admin_client, workbook(**SMALL_ORG))
    assert answer.status_code == 413


def test_the_export_is_the_import_format(admin_client, lines):
    imported(workbook(**SMALL_ORG))
    answer = admin_client.get("/organisation/export.xlsx")
    assert answer.status_code == 200
    assert plan_import(answer.data).counts()["places"] == {
        "created": 0,
        "changed": 0,
        "unchanged": 4,
        "missing": 0,
    }


@pytest.mark.parametrize("role", [Role.MANAGER, Role.INSPECTOR, Role.CONTRACTOR])
def test_only_administrators_reach_the_organisation_pages(app, client, make_user, role):
    login(client, make_user(role))
    for method, url in [
        ("GET", "/organisation/import"),
        ("POST", "/organisation/import"),
        ("GET", "/organisation/import/" + "a" * 32),
        ("POST", "/organisation/import/" + "a" * 32),
        ("GET", "/organisation/export.xlsx"),
        ("GET", "/organisation/template.xlsx"),
    ]:
        assert client.open(url, method=method).status_code == 403, url


# --- the guided start ------------------------------------------------------------------------


def steps_shown(client) -> dict[str, str]:
    page = client.get("/").text
    if "going-live-head" not in page:
        return {}
    items = re.findall(
        r'<li class="card">\s*<a href="([^"]+)"><strong>.*?state-(ok|warn)', page, re.S
    )
    return {href: state for href, state in items}


def test_an_empty_install_shows_the_administrator_the_steps_to_go_live(app, client, make_user):
    login(client, make_user(Role.ADMIN))
    assert steps_shown(client) == {
        "/catalog/import": "warn",
        "/organisation/import": "warn",
        "/assessments/policy": "warn",
        "/robots": "warn",
        "/plans/new": "warn",
    }

    category = CheckCategory(service_line=ServiceLine(code="CLN", name="保洁"), name="地面")
    db.session.add(
        CheckPoint(
            category=category,
            code="C-1",
            title="地面",
            standard="洁净",
            severity=Severity.GENERAL,
            deduction=1,
        )  # fmt: skip
    )
    db.session.add(Site(code="HQ", name="大院", kind=SiteKind.COMPOUND))
    db.session.commit()
    shown = steps_shown(client)
    assert shown["/catalog/import"] == "ok" and shown["/organisation/import"] == "warn"


def test_the_steps_go_once_the_install_is_in_use(app, client, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    assert steps_shown(client)
    db.session.add(
        Inspection(
            scope=Scope.BLOCK,
            schedule=Schedule.SPOT,
            party=Party.INTERNAL,
            tier=Tier.AD_HOC,
            created_by_id=admin.id,
            started_at=utcnow(),
        )
    )
    db.session.commit()
    assert steps_shown(client) == {}


def test_a_manager_never_sees_the_steps(client, make_user):
    login(client, make_user(Role.MANAGER))
    assert "going-live-head" not in client.get("/").text


@pytest.mark.parametrize(
    ("page", "marked", "unmarked"),
    [
        ("/admin/users", "/admin/users", "/organisation/import"),
        ("/admin/users/new", "/admin/users", "/organisation/import"),
        ("/organisation/import", "/organisation/import", "/admin/users"),
    ],
)
def test_the_menu_marks_users_and_the_workbook_apart(client, make_user, page, marked, unmarked):
    """Both live in the organisation's blueprint; each page marks its own entry only."""
    login(client, make_user(Role.ADMIN))
    shown = client.get(page).text
    assert f'<a href="{marked}" aria-current="page">' in shown
    assert f'<a href="{unmarked}">' in shown, "shown, and not marked"
