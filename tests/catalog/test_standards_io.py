import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.catalog.models import Area, CheckCategory, CheckPoint, Frequency, ServiceLine, Severity
from app.catalog.standards_io import (
    EXPORT_HEADERS,
    HEADERS,
    default_catalogue_rows,
    export_xlsx,
    import_xlsx,
    load_default_catalogue,
    parse_rows,
)
from app.core.extensions import db
from tests.helpers import xlsx


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


GOOD_ROW = ("CLN", "保洁服务", "卫生间", "CLN-9001", "洗手台", "台面无水渍", "", "一般", 0.5, "是")


def test_default_catalogue_is_a_real_library(app):
    report = load_default_catalogue()
    db.session.commit()

    assert report.ok, report.errors[:3]
    lines = db.session.scalars(sa.select(ServiceLine)).all()
    assert len(lines) >= 16
    assert count(CheckPoint) >= 300
    line_categories = [c for line in lines for c in line.categories]
    assert len(line_categories) >= 71
    assert all(line.area is not None for line in lines)
    assert {line.area for line in lines} == set(Area)
    for line in lines:
        points = [p for c in line.categories for p in c.check_points]
        assert len(points) >= 10, line.name
    severities = set(db.session.scalars(sa.select(CheckPoint.severity)))
    assert severities == set(Severity)
    block = db.session.scalars(
        sa.select(CheckCategory).where(CheckCategory.service_line_id.is_(None))
    ).all()
    assert {"人员证照", "劳动用工", "仪容仪表与文明用语"} <= {c.name for c in block}


def test_every_shipped_point_says_its_standard_good_practice_grading_and_frequency():
    rows = default_catalogue_rows()
    for row in rows:
        line_code, _name, category, code, title, standard, good, severity, points, *_rest = row
        assert category and code and title and standard and good, code
        assert severity in {"一般", "较重", "严重"} and Decimal(points) > 0, code
        assert row[10] in {"每日", "每周", "每半月", "每月", "每季"}, code
        assert bool(row[11]) == bool(line_code), code
    assert {row[10] for row in rows} == {"每日", "每周", "每半月", "每月", "每季"}
    titles = [(row[0], row[4]) for row in rows]
    assert len(titles) == len(set(titles)), "no point is written twice in one line"


def test_loading_the_default_twice_updates_instead_of_duplicating(app):
    first = load_default_catalogue()
    second = load_default_catalogue()
    db.session.commit()
    assert second.created == 0 and second.updated == first.created
    assert count(CheckPoint) == first.created


def test_export_then_import_round_trips_and_updates_by_code(app):
    load_default_catalogue()
    db.session.commit()
    before = count(CheckPoint)

    workbook = load_workbook(io.BytesIO(export_xlsx()))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == EXPORT_HEADERS
    assert sheet.max_row == before + 1
    code = sheet.cell(row=2, column=4).value
    sheet.cell(row=2, column=9).value = 7.5
    sheet.append(
        ["NEW", "新服务", "新类别", "NEW-0001", "新检查点", "新标准", "", "严重", 10, "是"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    report = import_xlsx(buffer)
    db.session.commit()

    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, before)
    changed = db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == code))
    assert changed.deduction == Decimal("7.5")
    assert (
        db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "NEW")).name == "新服务"
    )


def test_frequency_and_area_go_out_and_come_back(app):
    report = import_xlsx(
        xlsx(
            [
                (*GOOD_ROW, "每半月", "保洁"),
                ("", "", "人员证照", "BLK-9", "持证", "持证", "", "较重", 3, ""),
            ],
            headers=EXPORT_HEADERS,
        )
    )
    db.session.commit()
    assert report.ok, report.errors
    point = db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == "CLN-9001"))
    assert point.frequency == Frequency.HALF_MONTHLY
    assert point.category.service_line.area == Area.CLEANING

    sheet = load_workbook(io.BytesIO(export_xlsx())).active
    rows = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["CLN-9001"][10:] == ("每半月", "保洁")
    assert rows["BLK-9"][10:] == ("每月", None)

    point.frequency = Frequency.DAILY
    point.category.service_line.area = None
    db.session.commit()
    buffer = io.BytesIO()
    workbook = load_workbook(io.BytesIO(export_xlsx()))
    workbook.active.cell(row=2, column=11).value = "每季"
    workbook.active.cell(row=2, column=12).value = "客户服务"
    workbook.save(buffer)
    buffer.seek(0)
    assert import_xlsx(buffer).ok
    db.session.commit()
    assert point.frequency == Frequency.QUARTERLY
    assert point.category.service_line.area == Area.CUSTOMER_SERVICE


def test_a_spreadsheet_without_the_new_columns_keeps_frequency_and_area(app):
    import_xlsx(xlsx([(*GOOD_ROW, "每周", "保洁")], headers=EXPORT_HEADERS))
    db.session.commit()

    report = import_xlsx(xlsx([(*GOOD_ROW[:8], 2, "是", "每日", "绿化")]))
    db.session.commit()

    assert report.ok, report.errors
    point = db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == "CLN-9001"))
    assert point.deduction == 2
    assert point.frequency == Frequency.WEEKLY  # cells beyond the old headers are not read
    assert point.category.service_line.area == Area.CLEANING


def test_a_new_point_from_an_old_spreadsheet_is_checked_monthly(app):
    assert import_xlsx(xlsx([GOOD_ROW])).ok
    db.session.commit()
    point = db.session.scalar(sa.select(CheckPoint))
    assert point.frequency == Frequency.MONTHLY and point.category.service_line.area is None


def test_unknown_frequencies_and_areas_are_refused(app):
    rows = [
        (*GOOD_ROW, "每年", ""),
        (
            "CLN",
            "保洁服务",
            "卫生间",
            "CLN-9002",
            "镜面",
            "无水点",
            "",
            "一般",
            1,
            "是",
            "",
            "卫生",
        ),
        ("", "", "人员证照", "BLK-9", "持证", "持证", "", "较重", 3, "", "每月", "保洁"),
    ]
    report = import_xlsx(xlsx(rows, headers=EXPORT_HEADERS))
    assert {(e.row, e.column) for e in report.errors} == {
        (2, "检查频次"),
        (3, "服务领域"),
        (4, "服务领域"),
    }
    db.session.rollback()
    assert count(CheckPoint) == 0


def test_block_check_rows_have_no_service_line(app):
    report = import_xlsx(
        xlsx([("", "", "人员证照", "BLK-9", "持证上岗", "持证", "", "较重", 3, "")])
    )
    assert report.ok
    point = db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == "BLK-9"))
    assert point.category.block_only and point.severity == Severity.MAJOR and point.active


def test_a_bad_file_reports_every_wrong_row_and_imports_nothing(app):
    rows = [
        GOOD_ROW,
        ("CLN", "保洁服务", "卫生间", "CLN-9002", "", "台面无水渍", "", "一般", 1, "是"),
        ("CLN", "保洁服务", "卫生间", "CLN-9003", "镜面", "无水点", "", "很严重", 1, "是"),
        ("CLN", "保洁服务", "卫生间", "CLN-9004", "地面", "干燥", "", "一般", "两分", "是"),
        ("CLN", "保洁服务", "卫生间", "CLN-9001", "重复", "重复", "", "一般", 1, "是"),
        ("CLN", "保洁服务", "卫生间", "CLN-9005", "地面", "干燥", "", "一般", 0.25, "是"),
        ("CLN", "保洁", "卫生间", "CLN-9006", "地面", "干燥", "", "一般", 1, "是"),
        ("CLN", "保洁服务", "卫生间", "CLN-9007", "地面", "干燥", "", "一般", 101, "也许"),
    ]
    report = import_xlsx(xlsx(rows))

    assert not report.ok
    wrong = {(e.row, e.column) for e in report.errors}
    assert wrong == {
        (3, "检查内容"),
        (4, "严重程度"),
        (5, "扣分"),
        (6, "检查点编码"),
        (7, "扣分"),
        (8, "服务项目"),
        (9, "扣分"),
        (9, "启用"),
    }
    db.session.rollback()
    assert count(CheckPoint) == 0 and count(ServiceLine) == 0


@pytest.mark.parametrize("headers", [HEADERS[:-1], ["编码", *HEADERS[1:]], list(reversed(HEADERS))])
def test_wrong_headers_are_refused(app, headers):
    report = import_xlsx(xlsx([GOOD_ROW], headers=headers))
    assert not report.ok and report.errors[0].row == 1
    assert count(CheckPoint) == 0


@pytest.mark.parametrize("payload", [b"", b"not a spreadsheet", b"PK\x03\x04broken zip"])
def test_files_that_are_not_spreadsheets_are_refused(app, payload):
    report = import_xlsx(io.BytesIO(payload))
    assert not report.ok
    assert count(CheckPoint) == 0


def test_an_empty_sheet_is_refused(app):
    assert not import_xlsx(xlsx([])).ok


def test_parse_rows_skips_blank_rows_and_counts_spreadsheet_rows(app):
    points, errors = parse_rows([GOOD_ROW, (None,) * 10, ("", "", "", "", "", "", "", "", "", "")])
    assert [p.row for p in points] == [2] and errors == []


def test_a_bureau_loads_its_own_300_points(app):
    rows = [
        (
            f"L{n % 16:02d}",
            f"服务项目{n % 16:02d}",
            f"类别{n % 71}",
            f"P-{n:03d}",
            f"检查点{n}",
            f"标准{n}",
            "",
            ("一般", "较重", "严重")[n % 3],
            (0.5, 2, 5)[n % 3],
            "是",
        )
        for n in range(300)
    ]
    report = import_xlsx(xlsx(rows))
    db.session.commit()
    assert report.ok and report.created == 300
    assert count(ServiceLine) == 16 and count(CheckPoint) == 300


def test_export_writes_a_standard_that_looks_like_a_formula_as_text(app):
    load_default_catalogue()
    point = db.session.scalars(sa.select(CheckPoint)).first()
    point.standard = "=1+1"
    db.session.commit()
    sheet = load_workbook(io.BytesIO(export_xlsx())).active
    cells = [row[5] for row in sheet.iter_rows(min_row=2) if row[3].value == point.code]
    assert cells[0].value == "=1+1" and cells[0].data_type == "s"


def test_the_text_format_reads_areas_and_frequencies_and_still_reads_old_lines(tmp_path):
    text = tmp_path / "lib.txt"
    text.write_text(
        "= CLN 保洁服务 [保洁]\n## 卫生间\nG 1 每日 | 异味 | 无异味 | 入门无异味\n"
        "= OLD 旧服务\n## 旧类别\nM 2 | 旧点 | 旧标准 | 旧样例\n",
        encoding="utf-8",
    )
    rows = default_catalogue_rows(text)
    assert [(r[0], r[1], r[3], r[10], r[11]) for r in rows] == [
        ("CLN", "保洁服务", "CLN-0101", "每日", "保洁"),
        ("OLD", "旧服务", "OLD-0101", "", ""),
    ]
