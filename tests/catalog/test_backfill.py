"""An install from before migration 20261207_0060 gets the shipped library's areas and
frequencies where its codes are the shipped ones and no manager has set them."""

import pytest
import sqlalchemy as sa

from app.catalog.backfill import fill_areas_and_frequencies
from app.catalog.models import Area, CheckPoint, Frequency, ServiceLine
from app.catalog.standards_io import default_catalogue_rows, load_default_catalogue
from app.core.audit import record_event
from app.core.extensions import db


def line(code: str) -> ServiceLine:
    return db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == code))


def point(code: str) -> CheckPoint:
    return db.session.scalar(sa.select(CheckPoint).where(CheckPoint.code == code))


def not_monthly() -> int:
    """How many shipped points are checked other than monthly."""
    return sum(1 for row in default_catalogue_rows() if row[10] != "每月")


@pytest.fixture
def older_install(app, make_check_point):
    """The shipped library as the migration left it: no areas, every point monthly; and a
    line of the bureau's own with a code the library does not ship."""
    assert load_default_catalogue().ok
    db.session.execute(sa.update(ServiceLine).values(area=None))
    db.session.execute(sa.update(CheckPoint).values(frequency=Frequency.MONTHLY))
    make_check_point(line_code="OWN", code="OWN-0101", title="自有检查点")
    db.session.commit()


def test_an_older_installs_lines_and_points_get_the_shipped_area_and_frequency(older_install):
    filled = fill_areas_and_frequencies()
    db.session.commit()

    assert line("CLN").area == Area.CLEANING and line("SEC").area == Area.ORDER
    assert point("SEC-0101").frequency == Frequency.DAILY
    assert point("SEC-0201").frequency == Frequency.WEEKLY
    assert line("OWN").area is None, "a bureau's own code is not the library's"
    assert point("OWN-0101").frequency == Frequency.MONTHLY
    assert db.session.scalar(sa.select(sa.func.count()).where(ServiceLine.area.is_(None))) == 1
    assert (filled.lines, filled.points, filled.points_left) == (17, not_monthly(), 0)

    again = fill_areas_and_frequencies()
    assert (again.lines, again.points, again.points_left) == (0, 0, 0)


def test_what_a_manager_set_is_kept(older_install):
    line("SEC").area = Area.CUSTOMER_SERVICE  # the manager's own area
    record_event("service_line_saved", line("GRN"))  # saved on its page, left with no area
    record_event("check_point_saved", point("SEC-0101"))  # maybe set to monthly on purpose
    db.session.commit()

    filled = fill_areas_and_frequencies()
    db.session.commit()

    assert line("SEC").area == Area.CUSTOMER_SERVICE
    assert line("GRN").area is None and filled.lines_left == ["GRN"]
    assert point("SEC-0101").frequency == Frequency.MONTHLY
    assert point("SEC-0102").frequency == Frequency.DAILY
    assert filled.points_left == 1


def test_after_a_spreadsheet_import_frequencies_are_left_to_the_managers(older_install):
    """An import may have set a point to monthly and does not record which: only areas."""
    record_event("standards_imported", object_type="check_points", detail="created=0 updated=9")
    db.session.commit()

    filled = fill_areas_and_frequencies()

    assert line("CLN").area == Area.CLEANING
    assert point("SEC-0101").frequency == Frequency.MONTHLY
    assert (filled.points, filled.points_left) == (0, not_monthly())


def test_the_upgrade_command_fills_them_and_says_what_it_left(app, older_install):
    record_event("check_point_saved", point("SEC-0101"))
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["standards", "backfill"])

    assert result.exit_code == 0, result.output
    assert "17 service lines given their area" in result.output
    assert "1 check points left at 每月" in result.output
    assert line("CLN").area == Area.CLEANING
    again = runner.invoke(args=["standards", "backfill"])
    assert "0 service lines given their area, 0 check points their frequency" in again.output
