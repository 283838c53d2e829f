"""Pages past the middle are read from the other end: the same rows, in the same order, as a
plain offset gives, whatever the ties and NULLs in the list's order."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.catalog.models import SiteKind
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.inspections.models import Inspection, Party, Schedule, Scope, Status, Tier
from app.notices.models import Notice, NoticeStatus
from app.web.paging import paginate


def plain_pages(select, per_page, pages):
    return [
        [row.id for row in db.session.scalars(select.limit(per_page).offset(n * per_page))]
        for n in range(pages)
    ]


def both_ends_pages(app, select, per_page, pages):
    found = []
    for n in range(1, pages + 1):
        with app.test_request_context(f"/?page={n}"):
            page = paginate(select, per_page=per_page)
            found.append([row.id for row in page.items])
            total = page.total
    return found, total


@pytest.fixture
def inspections(app, make_site, make_user):
    from app.auth.models import Role

    inspector = make_user(Role.INSPECTOR)
    site = make_site("大楼", SiteKind.BUILDING)
    start = utcnow() - timedelta(days=30)
    for n in range(47):  # ties: three at a time start at the same moment
        db.session.add(
            Inspection(
                scope=Scope.STRIP,
                schedule=Schedule.SCHEDULED,
                party=Party.INTERNAL,
                tier=Tier.DAILY,
                status=Status.SUBMITTED,
                created_by=inspector,
                started_at=start + timedelta(hours=n // 3),
                sites=[site],
            )
        )
    db.session.commit()


@pytest.mark.parametrize("per_page", [5, 10, 47, 50])
def test_inspection_pages_read_from_either_end_match_a_plain_offset(app, inspections, per_page):
    select = sa.select(Inspection).order_by(Inspection.started_at.desc(), Inspection.id.desc())
    pages = -(-47 // per_page) + 1  # and one page past the end
    found, total = both_ends_pages(app, select, per_page, pages)
    assert total == 47
    assert found == plain_pages(select, per_page, pages)
    assert found[-1] == [] and sorted(sum(found, [])) == sorted(set(sum(found, [])))


def test_notice_pages_keep_drafts_first_from_either_end(app, make_contractor, inspections):
    contractor = make_contractor()
    inspection = db.session.scalar(sa.select(Inspection).limit(1))
    for n in range(23):
        draft = n % 4 == 0  # no issue time: first in the list (NULLS FIRST)
        db.session.add(
            Notice(
                contractor=contractor,
                inspection=inspection,
                status=NoticeStatus.DRAFT if draft else NoticeStatus.ISSUED,
                issued_at=None if draft else utcnow() - timedelta(days=n // 2),
                year=2026,
                serial=None if draft else n,
                deadline=utcnow() + timedelta(days=7),
                created_by_id=inspection.created_by_id,
            )
        )
    db.session.commit()
    select = sa.select(Notice).order_by(Notice.issued_at.desc().nulls_first(), Notice.id.desc())
    found, total = both_ends_pages(app, select, 4, 7)
    assert total == 23
    assert found == plain_pages(select, 4, 7)


def test_a_plain_ascending_order_is_read_backwards_too(app, inspections):
    select = sa.select(Inspection).order_by(Inspection.started_at, Inspection.id)
    found, _total = both_ends_pages(app, select, 10, 5)
    assert found == plain_pages(select, 10, 5)
