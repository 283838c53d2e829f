"""Who may keep which group robots: the supervisors who edit, every robot; a contractor's users,
only their own company's."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.access import CONTRACTORS, EDITORS, is_contractor
from app.auth.models import User
from app.catalog.models import Contractor
from app.core.extensions import db
from app.notify.models import Robot

ROBOT_KEEPERS = (*EDITORS, *CONTRACTORS)


def keeps_robots(user) -> bool:
    return user.role in ROBOT_KEEPERS


def robots_kept_by(user):
    """The condition on Robot for the robots `user` sees and may remove."""
    if is_contractor(user):
        return Robot.contractor_id == user.contractor_id
    return sa.true()


def robot_owners(user) -> list[tuple[int, str]]:
    """Whose group a robot of `user`'s may serve, as (contractor id, name) choices; 0 is the
    supervision team. A contractor's user: its own company only."""
    if is_contractor(user):
        return [(user.contractor_id, user.contractor.short_name)]
    companies = db.session.scalars(
        sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    )
    return [(0, _("Supervision team")), *((c.id, c.short_name) for c in companies)]


def hears_as_manager():
    """The condition on User for those told what the department's managers are told: the
    managers, and the administrators with them."""
    return User.role.in_(EDITORS)
