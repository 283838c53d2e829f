from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.catalog.sites import placement_error, site_tree
from app.catalog.staff import certificate_alerts
from app.core.extensions import db
from app.core.timeutil import local_today, utcnow
from app.jobs.clock import run_due_jobs
from app.notify.models import Notification


def test_expired_and_expiring_certificates_are_told_apart(make_certificate):
    expired = make_certificate(expires_in_days=-1)
    today_last = make_certificate(expires_in_days=0)
    soon = make_certificate(expires_in_days=30)
    make_certificate(expires_in_days=31)

    alerts = certificate_alerts(local_today(), 30)

    assert [c.id for c in alerts.expired] == [expired.id]
    assert [c.id for c in alerts.expiring] == [today_last.id, soon.id]


def test_renewed_certificate_no_longer_counts_as_expired(make_certificate):
    old = make_certificate(kind="健康证", expires_in_days=-10)
    make_certificate(staff=old.staff_member, kind="健康证", expires_in_days=300)
    other_kind = make_certificate(staff=old.staff_member, kind="上岗证", expires_in_days=-5)

    alerts = certificate_alerts(local_today(), 30)

    assert [c.id for c in alerts.expired] == [other_kind.id]


def test_staff_who_left_raise_no_alert(make_certificate):
    make_certificate(expires_in_days=-3, active=False)
    assert certificate_alerts(local_today(), 30).expired == []


def test_contractor_alerts_only_cover_that_contractor(make_certificate, make_contractor):
    mine, theirs = make_contractor(), make_contractor()
    own = make_certificate(contractor=mine, expires_in_days=-1)
    make_certificate(contractor=theirs, expires_in_days=-1)

    alerts = certificate_alerts(local_today(), 30, contractor_id=mine.id)

    assert [c.id for c in alerts.expired] == [own.id]


@pytest.mark.parametrize("years, due", [(2.9, False), (3.0, True), (4.5, True)])
def test_contract_is_retendered_after_three_years(make_contractor, years, due):
    today = local_today()
    contractor = make_contractor(
        contract_start=today - timedelta(days=round(years * 365.25)),
        contract_end=today + timedelta(days=30),
    )
    assert contractor.due_for_retender(today) is due


def test_deposit_is_the_contract_share(make_contractor):
    contractor = make_contractor(contract_value=Decimal("3860000"), deposit_share=Decimal("5"))
    assert contractor.deposit_amount == Decimal("193000.00")


def test_site_tree_nests_compound_building_floor_area(make_site):
    compound = make_site("机关大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    floor = make_site("三层", SiteKind.FLOOR, building)
    room = make_site("会议室", SiteKind.AREA, floor)

    assert [(n.site.id, n.depth) for n in site_tree()] == [
        (compound.id, 0),
        (building.id, 1),
        (floor.id, 2),
        (room.id, 3),
    ]
    assert room.path == "机关大院 / 1号楼 / 三层 / 会议室"


def test_site_placement_rules(make_site):
    compound = make_site("机关大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    floor = make_site("三层", SiteKind.FLOOR, building)

    assert placement_error(SiteKind.COMPOUND, None) is None
    assert placement_error(SiteKind.BUILDING, None) is not None
    assert placement_error(SiteKind.FLOOR, compound) is not None
    assert placement_error(SiteKind.AREA, compound) is None
    assert placement_error(SiteKind.BUILDING, floor) is not None


def test_a_site_cannot_move_inside_its_own_descendant(make_site):
    compound = make_site("机关大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    floor = make_site("三层", SiteKind.FLOOR, building)

    assert placement_error(SiteKind.BUILDING, building, moving=building) is not None
    assert placement_error(SiteKind.FLOOR, floor, moving=building) is not None


def test_a_site_with_floors_cannot_become_an_area(make_site):
    compound = make_site("机关大院", SiteKind.COMPOUND)
    building = make_site("1号楼", SiteKind.BUILDING, compound)
    make_site("三层", SiteKind.FLOOR, building)

    assert placement_error(SiteKind.AREA, compound, moving=building) is not None


def test_the_worker_tells_the_contractor_of_a_certificate_about_to_expire(
    make_certificate, make_user
):
    soon = make_certificate(expires_in_days=10)
    make_certificate(contractor=soon.staff_member.contractor, expires_in_days=90)
    user = make_user(Role.CONTRACTOR, contractor=soon.staff_member.contractor)
    run_due_jobs()
    run_due_jobs(utcnow() + timedelta(hours=7))
    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert note.user_id == user.id and note.event.params["staff"] == soon.staff_member.name
