"""Who may open what: anonymous visitors, inspectors, managers, admins, contractor users."""

from types import SimpleNamespace

import pytest

from app.analysis import access as analysis_access
from app.catalog.models import SiteKind
from app.core.extensions import db
from app.feedback import access as feedback_access
from app.inspections import access as inspections_access
from app.main import access as main_access
from app.notices import access as notices_access
from app.notices.models import ItemStatus, Notice, NoticeItem, NoticeStatus
from app.plans import access as plans_access
from tests.helpers import login


@pytest.fixture
def records(cast, make_certificate, make_check_point, make_site):
    """A lapsed certificate for one member of each company's staff, a check point and a site."""
    return SimpleNamespace(
        own_cert=make_certificate(contractor=cast.own, expires_in_days=-1),
        other_cert=make_certificate(contractor=cast.other, expires_in_days=-1),
        point=make_check_point(),
        site=make_site("大院", SiteKind.COMPOUND),
    )


def urls(cast, records):
    """(url, who may open it) for every page behind the login."""
    supervisors = {"inspector", "manager", "admin"}
    editors = {"manager", "admin"}
    everyone = supervisors | {"contractor"}
    return [
        ("/", everyone),
        ("/catalog", everyone),
        (f"/catalog/lines/{records.point.category.service_line.id}", everyone),
        ("/catalog/block", everyone),
        ("/catalog/lines/new", editors),
        (f"/catalog/lines/{records.point.category.service_line.id}/edit", editors),
        ("/catalog/categories/new", editors),
        (f"/catalog/categories/{records.point.category.id}/edit", editors),
        ("/catalog/points/new", editors),
        (f"/catalog/points/{records.point.id}/edit", editors),
        ("/catalog/export.xlsx", editors),
        ("/catalog/import", editors),
        ("/contractors", supervisors),
        (f"/contractors/{cast.own.id}", everyone),
        (f"/contractors/{cast.other.id}", supervisors),
        ("/contractors/new", editors),
        (f"/contractors/{cast.own.id}/edit", editors),
        (f"/contractors/{cast.own.id}/staff/new", editors),
        (f"/staff/{records.own_cert.staff_member.id}/edit", editors),
        (f"/staff/{records.own_cert.staff_member.id}/certificates/new", editors),
        (f"/certificates/{records.own_cert.id}/edit", editors),
        ("/certificates", supervisors),
        ("/inspections", supervisors),
        ("/notices", everyone),
        ("/notices?status=closed", everyone),
        ("/notices/rules", editors),
        ("/inspections/new", supervisors),
        (f"/inspections/new?line={records.point.category.service_line.id}", supervisors),
        ("/sites", supervisors),
        ("/sites/new", editors),
        (f"/sites/{records.site.id}/edit", editors),
        ("/admin/users", {"admin"}),
        ("/admin/users/new", {"admin"}),
        (f"/admin/users/{cast.inspector.id}/edit", {"admin"}),
        ("/account/password", everyone),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, cast, records):
    for url, _allowed in urls(cast, records):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next="), url


@pytest.mark.parametrize("who", ["inspector", "manager", "admin", "contractor"])
def test_each_role_opens_exactly_its_pages(client, cast, records, who):
    login(client, cast.by_role(who))
    for url, allowed in urls(cast, records):
        status = client.get(url).status_code
        if who in allowed:
            assert status == 200, (who, url, status)
        else:
            assert status in (403, 404), (who, url, status)


def test_contractor_cannot_see_other_contractors_company_staff_or_certificates(
    client, cast, records
):
    login(client, cast.owner)
    assert client.get(f"/contractors/{cast.other.id}").status_code == 404
    own_page = client.get(f"/contractors/{cast.own.id}").text
    assert records.own_cert.staff_member.name in own_page
    assert records.other_cert.staff_member.name not in own_page
    home = client.get("/").text
    assert records.own_cert.staff_member.name in home
    assert records.other_cert.staff_member.name not in home


def test_contractor_my_company_goes_to_its_own_page(client, cast):
    login(client, cast.owner)
    response = client.get("/contractors/mine")
    assert response.location == f"/contractors/{cast.own.id}"


def test_inspector_cannot_change_the_catalogue_by_post(client, cast, records):
    login(client, cast.inspector)
    point = records.point
    response = client.post(
        f"/catalog/points/{point.id}/edit",
        data={
            "category_id": point.category_id,
            "code": point.code,
            "title": "改了",
            "standard": "x",
            "severity": "general",
            "deduction": "1",
            "position": 0,
        },
    )
    assert response.status_code == 403
    db.session.refresh(point)
    assert point.title != "改了"


@pytest.mark.parametrize(
    "url",
    [
        "/contractors/999999",
        "/staff/999999/edit",
        "/certificates/999999/edit",
        "/catalog/lines/999999",
        "/sites/999999/edit",
        "/admin/users/999999/edit",
    ],
)
def test_missing_objects_are_404_in_the_layout(client, cast, url):
    login(client, cast.admin)
    response = client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.text and "<nav" in response.text


def test_each_domains_access_rules_answer_for_every_role(make_user, cast):
    """The questions views, queues and templates ask, answered for each role."""
    contractor_admin = make_user("contractor_admin", contractor=cast.own)
    people = {
        "inspector": cast.inspector,
        "manager": cast.manager,
        "admin": cast.admin,
        "contractor": cast.owner,
        "contractor_admin": contractor_admin,
    }
    supervisors, editors = {"inspector", "manager", "admin"}, {"manager", "admin"}
    contractors = {"contractor", "contractor_admin"}
    rules = {
        notices_access.supervises_notices: supervisors,
        notices_access.sees_drafts: supervisors,
        notices_access.oversees_notices: editors,
        notices_access.receives_notices: contractors,
        notices_access.chooses_contractor: supervisors,
        inspections_access.can_start_inspections: supervisors,
        inspections_access.can_edit_inspections: editors,
        inspections_access.can_start_self_check: contractors,
        feedback_access.can_investigate: supervisors,
        feedback_access.can_decide_complaints: editors,
        feedback_access.can_edit_surveys: editors,
        plans_access.can_edit_plans: editors,
        analysis_access.sees_inspectors: supervisors,
        analysis_access.held_to_own_company: contractors,
        main_access.works_for_the_bureau: supervisors,
        main_access.watches_contracts: editors,
        main_access.watches_accounts: {"admin"},
    }
    for rule, allowed in rules.items():
        assert {name for name, user in people.items() if rule(user)} == allowed, rule.__name__
    assert main_access.own_company_id(contractor_admin) == cast.own.id
    assert main_access.own_company_id(cast.manager) is None
    assert main_access.layout_flags(cast.owner) == {
        "can_edit": False,
        "is_supervisor": False,
        "can_self_check": True,
    }


def test_a_contractors_user_acts_on_its_own_notices_only(cast):
    own = Notice(contractor_id=cast.own.id, status=NoticeStatus.ISSUED)
    other = Notice(contractor_id=cast.other.id, status=NoticeStatus.ISSUED)
    assert notices_access.can_acknowledge(own, cast.owner)
    assert notices_access.can_acknowledge(own, cast.colleague)
    assert not notices_access.can_acknowledge(other, cast.owner)
    assert not notices_access.can_acknowledge(own, cast.inspector)
    assert notices_access.can_record_unsigned_service(own, cast.inspector)
    assert not notices_access.can_record_unsigned_service(own, cast.owner)
    item = NoticeItem(notice=own, status=ItemStatus.OPEN)
    own.status = NoticeStatus.ACKNOWLEDGED
    assert notices_access.can_report_fix(item, cast.owner)
    assert not notices_access.can_report_fix(item, cast.outsider)
    assert not notices_access.can_report_fix(item, cast.manager)
