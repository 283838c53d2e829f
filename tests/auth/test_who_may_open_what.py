"""Who may open what: anonymous visitors, inspectors, managers, admins, contractor users."""

from types import SimpleNamespace

import pytest

from app.catalog.models import SiteKind
from app.core.extensions import db
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
