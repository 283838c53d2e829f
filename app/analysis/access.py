"""Who sees which patterns: supervisors every contractor's, with the inspectors' figures
and links to each finding; a contractor's users only their own company's."""

from app.auth.access import SUPERVISORS, is_contractor


def held_to_own_company(user) -> bool:
    """A contractor's users see only their own company's figures, whatever they choose."""
    return is_contractor(user)


def sees_inspectors(user) -> bool:
    """Supervisors see the inspectors' figures and open the findings behind the patterns."""
    return user.role in SUPERVISORS
