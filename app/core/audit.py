"""The audit trail: every state change is an event with who, when, what and from which state."""

import re
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from app.core.extensions import db
from app.core.timeutil import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    to_state: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or remove a recorded event."""


_CHANGES_AUDIT_LOG = re.compile(r"^\s*(UPDATE|DELETE\s+FROM)\s+\"?audit_events\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_audit_changes(connection, cursor, statement, parameters, context, executemany):
    """The app only ever adds events: any UPDATE or DELETE of the log, however it is made
    (a changed object, a bulk statement, raw SQL through the engine), fails."""
    if _CHANGES_AUDIT_LOG.match(statement):
        raise AuditLogIsAppendOnly(statement.split(None, 3)[:3])


# Every action the log holds, with the words a timeline shows for it; recording any other
# action fails, so an action has its words before its first event is written.
ACTIONS = {
    "inspection_started": _l("Inspection started"),
    "inspection_submitted": _l("Inspection submitted"),
    "inspection_reopened": _l("Inspection reopened"),
    "qr_scanned": _l("Place's QR code scanned"),
    "plan_saved": _l("Inspection plan saved"),
    "complaint_filed": _l("Complaint received"),
    "complaint_accepted": _l("Complaint accepted"),
    "complaint_investigating": _l("Investigation recorded"),
    "complaint_assigned": _l("Responsibility assigned"),
    "complaint_upheld": _l("Complaint upheld"),
    "complaint_dismissed": _l("Complaint dismissed"),
    "notice_drafted": _l("Notice drafted"),
    "notice_deadline_changed": _l("Deadline changed"),
    "notice_issued": _l("Notice issued"),
    "notice_acknowledged": _l("Notice acknowledged"),
    "notice_refused": _l("Refused to sign; served before a witness"),
    "notice_unreachable": _l("Could not be reached; served before a witness"),
    "fix_reported": _l("Fix reported"),
    "fix_accepted": _l("Fix accepted"),
    "fix_rejected": _l("Fix rejected"),
    "notice_closed": _l("Notice closed"),
    "notice_overdue": _l("Notice overdue"),
    "notice_opened": _l("First opened by the contractor"),
    "message_delivered": _l("Message delivered"),
    "exit_warning": _l("Written exit warning issued"),
    "bulletin_published": _l("Bulletin published"),
    "results_page_opened": _l("Results page for the compound's staff turned on"),
    "results_page_closed": _l("Results page for the compound's staff turned off"),
    "results_link_replaced": _l("Link to the results page replaced"),
    "bonus_added": _l("Bonus points added"),
    "satisfaction_set": _l("Satisfaction rate set"),
    "policy_saved": _l("Assessment rules changed"),
    "evidence_rules_saved": _l("Evidence photo rules changed"),
    "plan_stop_saved": _l("Check points of a route stop saved"),
    "survey_opened": _l("Planned survey opened"),
    "survey_access": _l("Who may answer the survey changed"),
    "survey_cards_issued": _l("Answer cards printed"),
    "service_line_saved": _l("Service line saved"),
    "category_saved": _l("Category saved"),
    "check_point_saved": _l("Check point saved"),
    "standards_imported": _l("Standards imported"),
    "organisation_imported": _l("Organisation workbook imported"),
    "contractor_saved": _l("Contractor saved"),
    "staff_saved": _l("Staff member saved"),
    "certificate_saved": _l("Certificate saved"),
    "site_saved": _l("Site saved"),
    "user_created": _l("User created"),
    "role_changed": _l("Role changed"),
    "user_activation": _l("User activated or deactivated"),
    # no longer recorded (invitation links took its place); older events still carry it
    "password_reset": _l("Password reset by an administrator"),
    "password_changed": _l("Password changed"),
    "user_invited": _l("Invitation link made"),
    "invitation_accepted": _l("Password set from the invitation"),
    "user_unlocked": _l("User unlocked"),
    "identity_linked": _l("Sign-in identity linked"),
    "identity_unlinked": _l("Sign-in identity unlinked"),
    "account_created_on_sign_in": _l("Account created on first sign-in"),
    "meeting_pack_kept": _l("Meeting pack kept"),
}


class UnlistedAuditAction(ValueError):
    """Something tried to record an action that is not in ACTIONS."""


def action_label(action: str) -> str:
    """What an event says to a person; an action missing from ACTIONS shows its code."""
    return str(ACTIONS.get(action, action))


def record_event(
    action,
    obj=None,
    *,
    object_type=None,
    object_id=None,
    from_state=None,
    to_state=None,
    detail="",
    actor=None,
    at=None,
):
    """Add an audit event to the session; the caller's commit makes it permanent."""
    if action not in ACTIONS:
        raise UnlistedAuditAction(f"{action!r}: list it in app.audit.ACTIONS with its words")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        action=action,
        object_type=object_type or type(obj).__tablename__,
        object_id=getattr(obj, "id", None) if obj is not None else object_id,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
        actor_id=actor.id if actor is not None else None,
        at=at or utcnow(),
    )
    db.session.add(event)
    return event


def history_of(obj, actions=None) -> list[AuditEvent]:
    """An object's audit events, oldest first, with who made each (one statement, however many
    people made them); only the given actions if named."""
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == type(obj).__tablename__, AuditEvent.object_id == obj.id)
        .options(joinedload(AuditEvent.actor))
    )
    if actions is not None:
        query = query.where(AuditEvent.action.in_(actions))
    return list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))
