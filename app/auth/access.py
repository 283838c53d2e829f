"""Who may do what: role checks for views and ownership checks for contractor users."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.auth.models import Role

SUPERVISORS = (Role.INSPECTOR, Role.MANAGER, Role.ADMIN)
EDITORS = (Role.MANAGER, Role.ADMIN)
# A contractor's users, its administrators too: each sees its own company and nothing else.
CONTRACTORS = (Role.CONTRACTOR, Role.CONTRACTOR_ADMIN)
SELF_CHECKERS = CONTRACTORS  # a contractor's users check their own service
ADMINS = (Role.ADMIN,)
EVERYONE = tuple(Role)


def role_required(*roles: Role):
    """Let in only logged-in users holding one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_contractor(user) -> bool:
    """One of a contractor's users, who sees only its own company."""
    return user.role in CONTRACTORS


def can_see_contractor(user, contractor_id: int) -> bool:
    """Supervisors see every contractor; a contractor user sees only its own."""
    if is_contractor(user):
        return user.contractor_id == contractor_id
    return user.role in SUPERVISORS
