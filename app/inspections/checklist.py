"""Which check points an inspection covers, and starting one.

A strip check (条检) draws its points from one service line; a block check (块检) from every
line that one contractor, or the contractors at one site, serve, plus the block-only points
(certificates, labour compliance, dress and language) and each expired staff certificate.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.catalog.models import (
    Certificate,
    CheckCategory,
    CheckPoint,
    Contractor,
    Frequency,
    ServiceLine,
    Severity,
    Site,
)
from app.catalog.sites import site_tree
from app.catalog.staff import certificates_query
from app.core.audit import record_event
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import local_today
from app.inspections.models import (
    Inspection,
    InspectionItem,
    Party,
    Schedule,
    Scope,
    Status,
    Tier,
)

CERTIFICATE_CATEGORY = "人员证照"
CERTIFICATE_DEDUCTION = Decimal("2")


@dataclass
class Plan:
    """What an inspection will cover, worked out before anything is saved."""

    scope: Scope
    site: Site
    service_line: ServiceLine | None = None
    contractor: Contractor | None = None
    only_points: frozenset[int] | None = None  # a route stop's own choice of check points
    frequency: Frequency | None = None  # only the points checked this often


def site_and_ancestors(site: Site) -> list[Site]:
    chain, node = [], site
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def contractors_at(site: Site, service_line: ServiceLine | None = None) -> list[Contractor]:
    """Active contractors serving the site (or a place that contains it), optionally one line."""
    ids = [s.id for s in site_and_ancestors(site)]
    query = (
        sa.select(Contractor)
        .where(Contractor.active.is_(True), Contractor.sites.any(Site.id.in_(ids)))
        .order_by(Contractor.name)
    )
    if service_line is not None:
        query = query.where(Contractor.service_lines.any(ServiceLine.id == service_line.id))
    return list(db.session.scalars(query))


def plan_contractors(plan: Plan) -> list[Contractor]:
    if plan.contractor is not None:
        return [plan.contractor]
    return contractors_at(plan.site, plan.service_line)


def plan_lines(plan: Plan) -> list[ServiceLine]:
    if plan.scope == Scope.STRIP:
        return [plan.service_line]
    lines = {line.id: line for c in plan_contractors(plan) for line in c.service_lines}
    return sorted((line for line in lines.values() if line.active), key=lambda x: x.position)


def plan_check_points(plan: Plan) -> list[CheckPoint]:
    """Active check points in library order; block checks end with the block-only points."""
    line_ids = [line.id for line in plan_lines(plan)]
    where = CheckCategory.service_line_id.in_(line_ids)
    if plan.scope == Scope.BLOCK:
        where = sa.or_(where, CheckCategory.service_line_id.is_(None))
    if plan.only_points:
        where = sa.and_(where, CheckPoint.id.in_(plan.only_points))
    if plan.frequency is not None:
        where = sa.and_(where, CheckPoint.frequency == plan.frequency)
    return list(
        db.session.scalars(
            sa.select(CheckPoint)
            .join(CheckPoint.category)
            .outerjoin(CheckCategory.service_line)
            .where(CheckPoint.active.is_(True), where)
            .order_by(
                CheckCategory.service_line_id.is_(None),
                ServiceLine.position,
                CheckCategory.position,
                CheckCategory.id,  # equal positions: the order they were made in, every time
                CheckPoint.position,
                CheckPoint.id,
            )
        )
    )


def check_plan(plan: Plan) -> None:
    if plan.scope == Scope.STRIP and plan.service_line is None:
        raise Refused(_("A strip check needs a service line."))
    if plan.scope == Scope.BLOCK and plan.service_line is not None:
        raise Refused(_("A block check covers every line; do not choose one."))
    if plan.contractor is not None and plan.scope == Scope.STRIP:
        if plan.service_line not in plan.contractor.service_lines:
            raise Refused(_("This contractor does not serve that line."))
    if not plan_check_points(plan):
        raise Refused(_("There is nothing to check here: no check points apply."))


def start_inspection(
    plan: Plan,
    inspector: User,
    *,
    schedule: Schedule = Schedule.SPOT,
    party: Party = Party.INTERNAL,
    tier: Tier = Tier.AD_HOC,
    co_inspectors: list[User] = (),
) -> Inspection:
    """Create a draft inspection with its checklist; the caller commits."""
    check_plan(plan)
    contractors = plan_contractors(plan)
    inspection = Inspection(
        status=Status.DRAFT,
        scope=plan.scope,
        schedule=schedule,
        party=party,
        tier=tier,
        created_by=inspector,
        sites=[plan.site],
        contractors=contractors,
        service_lines=plan_lines(plan),
        inspectors=[inspector, *[u for u in co_inspectors if u.id != inspector.id]],
    )
    position = 0
    for point in plan_check_points(plan):
        # Block-only points (labour, dress, ...) are asked of each contractor on site.
        charged = (
            contractors
            if point.category.service_line_id is None and len(contractors) > 1
            else [_responsible(point, contractors)]
        )
        for contractor in charged:
            position += 1
            inspection.items.append(_item_from_point(point, position, plan.site, contractor))
    if plan.scope == Scope.BLOCK:
        for certificate in expired_certificates(contractors):
            position += 1
            inspection.items.append(_item_from_certificate(certificate, position, plan.site))
    db.session.add(inspection)
    record_event(
        "inspection_started", inspection, to_state=inspection.status.value, actor=inspector
    )
    return inspection


def _responsible(point: CheckPoint, contractors: list[Contractor]) -> Contractor | None:
    """The contractor a failed point is charged to: the one serving its line."""
    line_id = point.category.service_line_id
    for contractor in contractors:
        if line_id is None or any(line.id == line_id for line in contractor.service_lines):
            return contractor
    return None


def _item_from_point(point, position, site, contractor) -> InspectionItem:
    return InspectionItem(
        position=position,
        check_point=point,
        contractor=contractor,
        site=site,
        category=point.category.name,
        code=point.code,
        title=point.title,
        standard=point.standard,
        good_practice=point.good_practice,
        reference_photo=point.reference_photo,
        severity=point.severity,
        deduction=point.deduction,
    )


def expired_certificates(contractors: list[Contractor]) -> list[Certificate]:
    today = local_today()
    found = []
    for contractor in contractors:
        query = certificates_query(contractor_id=contractor.id).where(
            Certificate.expires_on < today
        )
        found.extend(db.session.scalars(query))
    return found


def _item_from_certificate(certificate: Certificate, position: int, site: Site):
    member = certificate.staff_member
    return InspectionItem(
        position=position,
        certificate=certificate,
        contractor_id=member.contractor_id,
        site=site,
        category=CERTIFICATE_CATEGORY,
        code=f"CERT-{certificate.id}",
        title=_(
            "Expired certificate: %(name)s, %(kind)s",
            name=member.name,
            kind=certificate.kind,
        ),
        standard=_(
            "%(post)s %(name)s must hold a valid %(kind)s; it expired on %(date)s. Confirm on "
            "site whether this person is working.",
            post=member.post,
            name=member.name,
            kind=certificate.kind,
            date=certificate.expires_on.isoformat(),
        ),
        severity=Severity.MAJOR,
        deduction=CERTIFICATE_DEDUCTION,
    )


def sites_to_offer(line, contractor):
    """Places to offer: those the chosen line's or contractor's contractors serve, and inside."""
    if contractor is not None:
        served = {s.id for s in contractor.sites}
    elif line is not None:
        served = {s.id for c in line.contractors if c.active for s in c.sites}
    else:
        served = None
    nodes = site_tree()
    if served is None:
        return nodes
    offered, inside_depth = [], None
    for node in nodes:
        if inside_depth is not None and node.depth <= inside_depth:
            inside_depth = None
        if node.site.id in served and inside_depth is None:
            inside_depth = node.depth
        if inside_depth is not None:
            offered.append(node)
    return offered
