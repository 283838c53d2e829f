"""Who sees which part of the pages that gather several domains: the navigation's entries,
the layout's flags and the sections of the home page's queue. The domains' own rules are
in their access modules; these are the ones no single domain owns."""

from app.auth.access import (
    ACCOUNT_KEEPERS,
    ADMINS,
    CONTRACTORS,
    EDITORS,
    SELF_CHECKERS,
    SUPERVISORS,
    is_contractor,
)
from app.auth.models import Role

EVERYONE = tuple(Role)
# The navigation's entries, each for the roles its page lets in.
NAVIGATION_ROLES = {
    "main.home": EVERYONE,
    "inspections.inspections": SUPERVISORS,
    "plans.plans": SUPERVISORS,
    "notices.notices": EVERYONE,
    "feedback.complaints": SUPERVISORS,
    "feedback.surveys": SUPERVISORS,
    "inspections.self_checks": (*SUPERVISORS, *SELF_CHECKERS),
    "assessments.dashboard": SUPERVISORS,
    "assessments.bulletins": EVERYONE,
    # contractors open their analysis from their company's page: their menu stays unfolded
    "analysis.analysis": SUPERVISORS,
    "catalog.standards": EVERYONE,
    "catalog.contractors": SUPERVISORS,
    "catalog.contractor_own": CONTRACTORS,
    "catalog.certificates": SUPERVISORS,
    "catalog.sites": SUPERVISORS,
    "organisation.users": ACCOUNT_KEEPERS,
    "organisation.import_page": ADMINS,
    "notify.deliveries": ADMINS,
}


def shows_in_navigation(user, endpoint: str) -> bool:
    return user.role in NAVIGATION_ROLES[endpoint]


def layout_flags(user) -> dict[str, bool]:
    """What every page may show or hide by who is signed in: a manager's editing links, a
    supervisor's links and shortcuts, a contractor's self-check button."""
    signed_in = user.is_authenticated
    return {
        "can_edit": signed_in and user.role in EDITORS,
        "is_supervisor": signed_in and user.role in SUPERVISORS,
        "can_self_check": signed_in and user.role in SELF_CHECKERS,
    }


def own_company_id(user) -> int | None:
    """The company a contractor's user's queue is held to; None for the bureau's people."""
    return user.contractor_id if is_contractor(user) else None


def works_for_the_bureau(user) -> bool:
    """The bureau's people (not a contractor's): their queue holds today's planned visits
    and the open complaints."""
    return not is_contractor(user)


def watches_contracts(user) -> bool:
    """Managers see contracts ending and due for retender."""
    return user.role in EDITORS


def watches_accounts(user) -> bool:
    """The bureau's administrators see locked accounts and the steps of going live."""
    return user.role in ADMINS


def sees_evidence_marks(user) -> bool:
    """The bureau's supervisors see what a photo was marked for (far from its place, used
    before, taken long before it was sent); a contractor never sees its photos' marks."""
    return user.role in SUPERVISORS
