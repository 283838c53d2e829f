"""Who may open what: anonymous visitors, inspectors, managers, admins, contractor users."""

import pytest

from app.auth.models import Role
from app.catalog.models import SiteKind
from app.extensions import db
from tests.helpers import login


@pytest.fixture
def world(make_contractor, make_user, make_certificate, make_check_point, make_site):
    """Two contractors with staff, a site and a check point, and one user of every kind."""
    own, other = make_contractor(), make_contractor()
    own_cert = make_certificate(contractor=own, expires_in_days=-1)
    other_cert = make_certificate(contractor=other, expires_in_days=-1)
    point = make_check_point()
    site = make_site("大院", SiteKind.COMPOUND)
    return {
        "own": own,
        "other": other,
        "own_cert": own_cert,
        "other_cert": other_cert,
        "own_staff": own_cert.staff_member,
        "other_staff": other_cert.staff_member,
        "point": point,
        "line": point.category.service_line,
        "category": point.category,
        "site": site,
        "users": {
            "inspector": make_user(Role.INSPECTOR),
            "manager": make_user(Role.MANAGER),
            "admin": make_user(Role.ADMIN),
            "contractor": make_user(Role.CONTRACTOR, contractor=own),
        },
    }


def urls(w):
    """(url, who may open it) for every page behind the login."""
    supervisors = {"inspector", "manager", "admin"}
    editors = {"manager", "admin"}
    everyone = supervisors | {"contractor"}
    return [
        ("/", everyone),
        ("/catalog", everyone),
        (f"/catalog/lines/{w['line'].id}", everyone),
        ("/catalog/block", everyone),
        ("/catalog/lines/new", editors),
        (f"/catalog/lines/{w['line'].id}/edit", editors),
        ("/catalog/categories/new", editors),
        (f"/catalog/categories/{w['category'].id}/edit", editors),
        ("/catalog/points/new", editors),
        (f"/catalog/points/{w['point'].id}/edit", editors),
        ("/catalog/export.xlsx", editors),
        ("/catalog/import", editors),
        ("/contractors", supervisors),
        (f"/contractors/{w['own'].id}", everyone),
        (f"/contractors/{w['other'].id}", supervisors),
        ("/contractors/new", editors),
        (f"/contractors/{w['own'].id}/edit", editors),
        (f"/contractors/{w['own'].id}/staff/new", editors),
        (f"/staff/{w['own_staff'].id}/edit", editors),
        (f"/staff/{w['own_staff'].id}/certificates/new", editors),
        (f"/certificates/{w['own_cert'].id}/edit", editors),
        ("/certificates", supervisors),
        ("/inspections", supervisors),
        ("/notices", everyone),
        ("/notices?status=closed", everyone),
        ("/notices/rules", editors),
        ("/inspections/new", supervisors),
        (f"/inspections/new?line={w['line'].id}", supervisors),
        ("/sites", supervisors),
        ("/sites/new", editors),
        (f"/sites/{w['site'].id}/edit", editors),
        ("/admin/users", {"admin"}),
        ("/admin/users/new", {"admin"}),
        (f"/admin/users/{w['users']['inspector'].id}/edit", {"admin"}),
        ("/account/password", everyone),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for url, _allowed in urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next="), url


@pytest.mark.parametrize("who", ["inspector", "manager", "admin", "contractor"])
def test_each_role_opens_exactly_its_pages(client, world, who):
    login(client, world["users"][who])
    for url, allowed in urls(world):
        status = client.get(url).status_code
        if who in allowed:
            assert status == 200, (who, url, status)
        else:
            assert status in (403, 404), (who, url, status)


def test_contractor_cannot_see_other_contractors_company_staff_or_certificates(client, world):
    login(client, world["users"]["contractor"])
    assert client.get(f"/contractors/{world['other'].id}").status_code == 404
    own_page = client.get(f"/contractors/{world['own'].id}").text
    assert world["own_staff"].name in own_page
    assert world["other_staff"].name not in own_page
    home = client.get("/").text
    assert world["own_staff"].name in home
    assert world["other_staff"].name not in home


def test_contractor_my_company_goes_to_its_own_page(client, world):
    login(client, world["users"]["contractor"])
    response = client.get("/contractors/mine")
    assert response.location == f"/contractors/{world['own'].id}"


def test_inspector_cannot_change_the_catalogue_by_post(client, world):
    login(client, world["users"]["inspector"])
    point = world["point"]
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
def test_missing_objects_are_404_in_the_layout(client, world, url):
    login(client, world["users"]["admin"])
    response = client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.text and "<nav" in response.text
