"""Starting inspections from their pages, as named actions: an inspector's check, a
contractor's self-check, an external check and the link its checker fills the checklist by.
Each writes (start_inspection records the start in the audit trail) and commits; a refused
start keeps nothing."""

from app.auth.models import User
from app.catalog.models import Contractor, Site
from app.core.extensions import db
from app.inspections.checklist import Plan, start_inspection
from app.inspections.external import issue_guest_pass, start_external
from app.inspections.models import ExternalBody, Inspection, Party, Schedule, Scope, Tier


def start_check(
    plan: Plan,
    inspector: User,
    *,
    schedule: Schedule,
    party: Party,
    tier: Tier,
    co_inspectors: list[User],
) -> Inspection:
    """An inspector's check of the plan's place, with the colleagues taken along."""
    inspection = start_inspection(
        plan, inspector, schedule=schedule, party=party, tier=tier, co_inspectors=co_inspectors
    )
    db.session.commit()
    return inspection


def start_self_check(contractor: Contractor, site: Site, user: User) -> Inspection:
    """A contractor's user checks the contractor's own service at one of its places."""
    inspection = start_inspection(
        Plan(Scope.BLOCK, site, contractor=contractor),
        user,
        schedule=Schedule.SPOT,
        party=Party.INTERNAL,
        tier=Tier.AD_HOC,
    )
    inspection.self_check = True
    db.session.commit()
    return inspection


def start_external_check(
    plan: Plan, manager: User, body: ExternalBody, assessor: str
) -> Inspection:
    """A manager records a check made by an outside body on the usual checklist."""
    inspection = start_external(plan, manager, body, assessor)
    db.session.commit()
    return inspection


def grant_guest_pass(inspection: Inspection, manager: User, guest_name: str, hours: int) -> str:
    """A link for one external checker; returns its secret, shown this once."""
    _grant, token = issue_guest_pass(inspection, manager, guest_name, hours)
    db.session.commit()
    return token
