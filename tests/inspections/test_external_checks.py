"""External checks: recorded by a manager with the checker's documents, or filled in by the
checker through a guest link that reaches one checklist only and expires."""

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.assessments.monthly import assess_month
from app.auth.models import Role
from app.catalog.models import SiteKind
from app.core.extensions import db
from app.core.photos import read_photo
from app.core.refusals import Refused
from app.core.timeutil import month_of, utcnow
from app.inspections.external import issue_guest_pass
from app.inspections.models import (
    ExternalBody,
    Finding,
    GuestPass,
    Inspection,
    InspectionPhoto,
    Party,
)
from tests.helpers import jpeg, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def place(make_user, make_contractor, make_check_point, make_site):
    point = make_check_point(line_code="CAT", category="食品安全", title="食品留样", deduction="5")
    kitchen = make_site("后厨", SiteKind.AREA)
    caterer = make_contractor(name="禾香餐饮")
    caterer.service_lines = [point.category.service_line]
    caterer.sites = [kitchen]
    db.session.commit()
    return {
        "kitchen": kitchen,
        "line": point.category.service_line,
        "caterer": caterer,
        "manager": make_user(Role.MANAGER),
    }


def record_external(client, place):
    login(client, place["manager"])
    response = client.post(
        "/external/new",
        data={
            "body": "health",
            "assessor": "市卫健委 张科长",
            "site": place["kitchen"].id,
            "service_line": place["line"].id,
            "contractor": "",
        },
    )
    assert response.status_code == 302
    return db.session.scalar(sa.select(Inspection).order_by(Inspection.id.desc()))


def test_a_manager_records_an_external_check_with_its_documents(client, place):
    inspection = record_external(client, place)
    assert inspection.party == Party.EXTERNAL and inspection.external_body == ExternalBody.HEALTH
    upload = client.post(
        f"/inspections/{inspection.id}/documents",
        data={"document": [(io.BytesIO(PDF), "检查记录.pdf"), (io.BytesIO(jpeg()), "现场.jpg")]},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    db.session.refresh(inspection)
    assert [(d.filename, d.kind) for d in inspection.documents] == [
        ("检查记录.pdf", "pdf"),
        ("现场.jpg", "image"),
    ]
    pdf = client.get(f"/inspections/documents/{inspection.documents[0].id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == PDF
    pdf.close()
    refused = client.post(
        f"/inspections/{inspection.id}/documents",
        data={"document": [(io.BytesIO(b"<svg onload=alert(1)>"), "x.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "请上传 PDF" in refused.text
    assert len(inspection.documents) == 2

    # findings enter the score like any other
    item = inspection.items[0]
    base = f"/inspections/{inspection.id}/items/{item.id}"
    client.post(f"{base}/answer", data={"answer": "fail"})
    client.post(f"{base}/note", data={"note": "留样不足48小时"})
    client.post(f"/inspections/{inspection.id}/submit", data={})
    finding = db.session.scalar(sa.select(Finding))
    assert finding is not None and finding.contractor_id == place["caterer"].id
    result = next(r for r in assess_month(month_of(utcnow())) if r.contractor == place["caterer"])
    assert result.overall < 100


def test_a_guest_link_reaches_one_checklist_until_it_expires(app, client, place, make_site):
    inspection = record_external(client, place)
    other = record_external(client, place)
    made = client.post(
        f"/inspections/{inspection.id}/guest-pass", data={"guest_name": "消防支队 李工", "hours": 2}
    )
    assert made.status_code == 200
    link = made.text.split("/guest/", 1)[1].split('"', 1)[0]
    token = link.split("/")[0]
    client.post("/logout")

    guest = app.test_client()
    page = guest.get(f"/guest/{token}")
    assert page.status_code == 200 and "食品留样" in page.text
    assert f"/guest/{token}/{inspection.id}/items/" in page.text, "forms post under the link"
    item = inspection.items[0]
    answered = guest.post(
        f"/guest/{token}/{inspection.id}/items/{item.id}/answer",
        data={"answer": "pass"},
        headers={"HX-Request": "true"},
    )
    assert answered.status_code == 200
    db.session.refresh(item)
    assert item.answer.value == "pass" and item.answered_by.display_name == "消防支队 李工"
    # without scripts: the page's one form, under the link, and the failed item's note form back
    tap = guest.post(f"/guest/{token}/{inspection.id}/answers", data={str(item.id): "fail"})
    assert tap.status_code == 302 and tap.location.endswith(f"#item-{item.id}")
    note = f'action="/guest/{token}/{inspection.id}/items/{item.id}/note"'
    assert note in guest.get(tap.location).text

    card = guest.post(
        f"/guest/{token}/{inspection.id}/items/{item.id}/photos",
        data={"photo": (io.BytesIO(jpeg((640, 480), (30, 200, 30))), "p.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    photo = db.session.scalar(sa.select(InspectionPhoto).where(InspectionPhoto.item_id == item.id))
    markup = f"/guest/{token}/photos/{photo.id}/markup"
    assert f'data-picture="{markup}"' in card.text, "the guest marks up under the link"
    assert guest.get(markup).data == read_photo(photo.digest)
    marked = guest.post(
        markup,
        data={"photo": (io.BytesIO(jpeg((640, 480), (200, 30, 30))), "photo.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert marked.status_code == 200
    as_sent = photo.digest
    db.session.refresh(photo)
    assert photo.original_digest == as_sent and photo.digest != as_sent

    # only this checklist: not the other inspection, not the staff pages
    other_item = other.items[0]
    assert (
        guest.post(
            f"/guest/{token}/{other.id}/items/{other_item.id}/answer", data={"answer": "fail"}
        ).status_code
        == 404
    )
    assert (
        guest.post(
            f"/guest/{token}/{inspection.id}/items/{other_item.id}/answer", data={"answer": "fail"}
        ).status_code
        == 404
    )
    assert guest.get(f"/inspections/{inspection.id}/run").status_code == 302, "log in first"
    assert guest.get("/session/token").status_code == 401
    assert guest.get(f"/guest/{token}/session").get_json()["user"] == item.answered_by_id
    guest_user = item.answered_by
    assert not guest_user.active, "the guest's user can never log in"
    assert (
        guest.post(
            "/login", data={"username": guest_user.username, "password": "anything"}
        ).status_code
        != 302
    )

    assert guest.get("/guest/not-a-token").status_code == 410
    grant = db.session.scalar(sa.select(GuestPass))
    grant.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert guest.get(f"/guest/{token}").status_code == 410
    assert (
        guest.post(
            f"/guest/{token}/{inspection.id}/items/{item.id}/answer", data={"answer": "fail"}
        ).status_code
        == 410
    )


def test_a_guest_pass_is_only_for_a_draft_external_check(client, place):
    inspection = record_external(client, place)
    for item in inspection.items:
        client.post(f"/inspections/{inspection.id}/items/{item.id}/answer", data={"answer": "pass"})
    client.post(f"/inspections/{inspection.id}/submit", data={})
    assert (
        client.post(
            f"/inspections/{inspection.id}/guest-pass", data={"guest_name": "x", "hours": 2}
        ).status_code
        == 409
    )
    db.session.refresh(inspection)
    with pytest.raises(Refused):
        issue_guest_pass(inspection, place["manager"], "x", 2)


def test_resent_external_documents_are_kept_once(client, place):
    external = record_external(client, place)
    key = str(uuid.uuid4())
    for _ in range(2):
        client.post(
            f"/inspections/{external.id}/documents",
            data={"client_uuid": key, "document": (io.BytesIO(PDF), "记录.pdf")},
            content_type="multipart/form-data",
        )
    db.session.refresh(external)
    assert len(external.documents) == 1
