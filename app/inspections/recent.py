"""An inspector's recent spot checks (what and where), offered on the home page to start
again in one tap: most patrols go back to the same few places for the same few lines."""

import sqlalchemy as sa

from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.sites import with_path
from app.core.extensions import db
from app.inspections.checklist import Plan
from app.inspections.models import (
    Inspection,
    Party,
    Schedule,
    Scope,
    inspection_contractors,
    inspection_service_lines,
    inspection_sites,
)

LOOK_BACK = 30  # inspections; enough to find a handful of different ones


def recent_plans(user: User, limit: int = 4) -> list[Plan]:
    """The user's latest distinct spot checks as plans to start again, newest first."""
    latest = (
        sa.select(Inspection.id, Inspection.scope, Inspection.started_at)
        .where(
            Inspection.created_by_id == user.id,
            Inspection.schedule == Schedule.SPOT,
            Inspection.party == Party.INTERNAL,
            Inspection.self_check.is_(False),
            Inspection.plan_id.is_(None),
        )
        .order_by(Inspection.started_at.desc(), Inspection.id.desc())
        .limit(LOOK_BACK)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            latest.c.id,
            latest.c.scope,
            sa.func.min(inspection_sites.c.site_id),
            sa.func.min(inspection_service_lines.c.service_line_id),
            sa.func.min(inspection_contractors.c.contractor_id),
            sa.func.count(sa.distinct(inspection_contractors.c.contractor_id)),
        )
        .join(inspection_sites, inspection_sites.c.inspection_id == latest.c.id)
        .outerjoin(
            inspection_service_lines, inspection_service_lines.c.inspection_id == latest.c.id
        )
        .outerjoin(inspection_contractors, inspection_contractors.c.inspection_id == latest.c.id)
        .group_by(latest.c.id, latest.c.scope, latest.c.started_at)
        .order_by(latest.c.started_at.desc(), latest.c.id.desc())
    ).all()
    keys = []
    for _id, scope, site_id, line_id, contractor_id, contractors in rows:
        if scope == Scope.STRIP:
            key = (scope, site_id, line_id, None)
        else:  # one contractor's block check, or every contractor at the place
            key = (scope, site_id, None, contractor_id if contractors == 1 else None)
        if key not in keys:
            keys.append(key)
    return _plans(keys[:limit])


def _plans(keys: list[tuple]) -> list[Plan]:
    """The plans of these keys, their places (with their paths), lines and contractors read
    a kind at a time, not one plan at a time."""
    sites = _by_id(Site, {key[1] for key in keys}, with_path())
    lines = _by_id(ServiceLine, {key[2] for key in keys})
    contractors = _by_id(Contractor, {key[3] for key in keys})
    return [
        Plan(
            scope=scope,
            site=sites[site_id],
            service_line=lines.get(line_id),
            contractor=contractors.get(contractor_id),
        )
        for scope, site_id, line_id, contractor_id in keys
    ]


def _by_id(model, ids: set[int | None], *options) -> dict:
    """The records of these ids (None left out) by id, in one statement."""
    ids.discard(None)
    if not ids:
        return {}
    found = db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))
    return {record.id: record for record in found}
