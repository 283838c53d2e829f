"""Contractor self-checks (自查): run on the inspectors' screens, seen by supervisors and by the
contractor's own users only, and deducting only by the self-check weight managers set."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.assessments.monthly import assess_month
from app.catalog.models import Severity, SiteKind
from app.catalog.rules import DEFAULT_POLICY, AssessmentPolicy
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import month_of, utcnow
from app.inspections.models import Inspection
from app.inspections.starting import start_self_check
from tests.helpers import login


@pytest.fixture
def company(cast, make_check_point, make_site):
    """The cleaner (`cast.own`) cleans the lobby, a rival cleaner (`cast.other`) the garage."""
    point = make_check_point(
        line_code="CLN",
        category="公共区域",
        title="大堂地面",
        severity=Severity.GENERAL,
        deduction="2",
    )
    lobby = make_site("大堂", SiteKind.AREA)
    garage = make_site("车库", SiteKind.AREA)
    for contractor in (cast.own, cast.other):
        contractor.service_lines = [point.category.service_line]
    cast.own.sites, cast.other.sites = [lobby], [garage]
    db.session.commit()
    return SimpleNamespace(lobby=lobby, garage=garage)


def run_self_check(client, cast, company, answer="fail"):
    login(client, cast.owner)
    started = client.post("/self-checks/new", data={"site": company.lobby.id})
    assert started.status_code == 302 and started.headers["Location"].endswith("/run")
    inspection = db.session.scalar(sa.select(Inspection))
    assert inspection.self_check and [c.name for c in inspection.contractors] == [cast.own.name]
    item = inspection.items[0]
    base = f"/inspections/{inspection.id}/items/{item.id}"
    assert client.post(f"{base}/answer", data={"answer": answer}).status_code == 302
    client.post(f"{base}/note", data={"note": "大堂入口处有水渍，已安排清理"})
    for other in inspection.items[1:]:
        client.post(
            f"/inspections/{inspection.id}/items/{other.id}/answer", data={"answer": "pass"}
        )
    assert client.post(f"/inspections/{inspection.id}/submit", data={}).status_code == 302
    db.session.refresh(inspection)
    client.post("/logout")
    return inspection


def test_a_self_check_started_is_kept_and_marked_as_the_contractors_own(cast, company):
    started = start_self_check(cast.own, company.lobby, cast.owner)
    db.session.rollback()  # the action committed: nothing after it undoes the start
    kept = db.session.get(Inspection, started.id)
    assert kept.self_check and kept.created_by == cast.owner
    assert [c.name for c in kept.contractors] == [cast.own.name]
    action = sa.select(AuditEvent.action).where(AuditEvent.object_id == kept.id)
    assert db.session.scalars(action).all() == ["inspection_started"]


def test_a_contractor_runs_its_own_self_check_on_the_same_screens(client, cast, company):
    inspection = run_self_check(client, cast, company)
    assert not inspection.is_draft and len(inspection.findings) == 1

    login(client, cast.owner)
    assert client.get(f"/inspections/{inspection.id}").status_code == 200
    assert "大堂" in client.get("/self-checks").text
    assert client.post("/self-checks/new", data={"site": company.garage.id}).status_code == 404
    assert client.get("/inspections/new").status_code == 403, "not the supervisors' start"
    client.post("/logout")

    login(client, cast.outsider)
    assert client.get(f"/inspections/{inspection.id}").status_code == 404
    assert "大堂" not in client.get("/self-checks").text
    client.post("/logout")

    login(client, cast.inspector)
    assert client.get(f"/inspections/{inspection.id}").status_code == 200, "supervisors see it"


def test_a_contractor_cannot_open_the_supervisors_inspections(client, cast, company):
    from app.inspections.checklist import Plan, start_inspection
    from app.inspections.models import Scope

    supervised = start_inspection(
        Plan(Scope.BLOCK, company.lobby, contractor=cast.own), cast.inspector
    )
    db.session.commit()
    login(client, cast.owner)
    assert client.get(f"/inspections/{supervised.id}").status_code == 404
    assert client.get(f"/inspections/{supervised.id}/run").status_code == 404


def test_a_self_reported_failure_deducts_by_the_managers_weight(client, cast, company):
    run_self_check(client, cast, company)
    month = month_of(utcnow())
    result = next(r for r in assess_month(month) if r.contractor == cast.own)
    assert result.overall == Decimal("100"), "by default a self-reported failure costs nothing"

    weights = {**DEFAULT_POLICY["tier_weights"], "self_check": "0.5"}
    db.session.add(AssessmentPolicy(id=1, **{**DEFAULT_POLICY, "tier_weights": weights}))
    db.session.commit()
    result = next(r for r in assess_month(month) if r.contractor == cast.own)
    assert result.overall == Decimal("99"), "half of the point's 2"


def test_a_self_reported_deduction_rounds_half_up_like_the_rest_of_the_score(client, cast, company):
    (finding,) = run_self_check(client, cast, company).findings
    finding.found_at = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
    weights = {**DEFAULT_POLICY["tier_weights"], "self_check": "0.125"}
    db.session.add(AssessmentPolicy(id=1, **{**DEFAULT_POLICY, "tier_weights": weights}))
    db.session.commit()
    result = next(r for r in assess_month("2025-03") if r.contractor == cast.own)
    assert result.overall == Decimal("99.7"), "2 × 0.125 = 0.25 deducts 0.3, not 0.2"


def test_managers_set_the_self_check_weight(client, cast, company):
    login(client, cast.manager)
    page = client.get("/assessments/policy")
    assert 'name="weight-self_check"' in page.text and "自查" in page.text


def test_only_those_who_may_start_a_self_check_are_offered_one(client, cast, company):
    for user, offered in ((cast.owner, True), (cast.inspector, False)):
        login(client, user)
        assert ("开始自查" in client.get("/").text) is offered
        assert client.get("/self-checks/new").status_code == (200 if offered else 403)
        client.post("/logout")
