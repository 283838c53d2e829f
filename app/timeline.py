"""What an audit event says to a person, in the reader's language.

The audit log keeps codes (states such as `issued`, details such as `findings=2`) and is never
rewritten; every timeline shows `action_label` and `event_facts`, which put each part into words.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.assessments.history import POLICY_LABELS, TIER_WEIGHT_LABELS
from app.assessments.models import BulletinStatus
from app.auth.models import Role
from app.catalog.models import Severity
from app.catalog.rules import EVIDENCE_LABELS
from app.core.audit import AuditEvent
from app.feedback.models import ComplaintStatus
from app.inspections.models import Status
from app.notices.models import NoticeStatus, ReceiptWay, WarningReason
from app.notify.models import Channel

STATES_BY_OBJECT = {
    "notices": NoticeStatus,
    "inspections": Status,
    "complaints": ComplaintStatus,
    "bulletins": BulletinStatus,
    "users": Role,
}
ON_OFF = {
    "active": _l("active"),
    "inactive": _l("inactive"),
    "left": _l("left the company"),
    "True": _l("active"),
    "False": _l("inactive"),
}


def _label_of(enum, value: str) -> str | None:
    try:
        return str(enum(value).label)
    except ValueError:
        return None


def state_text(event: AuditEvent, value: str | None) -> str:
    """A state as words: the object's status, a role, active or not, a severity and points."""
    if not value:
        return ""
    if value in ON_OFF and event.action in ("contractor_saved", "staff_saved", "user_activation"):
        return str(ON_OFF[value])
    if event.action == "certificate_saved" and value.startswith("expires "):
        return _("expires on %(date)s", date=value.removeprefix("expires "))
    if event.action == "check_point_saved":
        severity, _space, points = value.partition(" ")
        label = _label_of(Severity, severity)
        if label:
            return _("%(severity)s, %(points)s points", severity=label, points=points)
    enum = STATES_BY_OBJECT.get(event.object_type)
    return (enum and _label_of(enum, value)) or value


def _count_of_findings(detail: str) -> str:
    found = re.fullmatch(r"findings=(\d+)", detail)
    if not found:
        return detail
    n = int(found.group(1))
    return ngettext("%(num)d finding", "%(num)d findings", n)


def _import_counts(detail: str) -> str:
    found = re.fullmatch(r"created=(\d+) updated=(\d+)", detail)
    if not found:
        return detail
    return _("%(created)s added, %(updated)s updated", created=found[1], updated=found[2])


def _stop_points(detail: str) -> str:
    found = re.fullmatch(r"(.*): (\*|\d+)", detail, re.DOTALL)
    if not found:
        return detail
    if found[2] == "*":
        return _("%(place)s: every check point of the plan", place=found[1])
    return _("%(place)s: %(n)s chosen check points", place=found[1], n=found[2])


def _survey_access(detail: str) -> str:
    return {
        "cards": _("one answer per printed card"),
        "link": _("one answer per browser, by link or QR code"),
    }.get(detail, detail)


def _cards(detail: str) -> str:
    return ngettext("%(num)d card", "%(num)d cards", int(detail)) if detail.isdigit() else detail


def _warning(detail: str) -> str:
    number, _space, reason = detail.rpartition(" ")
    label = _label_of(WarningReason, reason)
    return f"{number} {label}" if number and label else detail


def _policy_changes(detail: str) -> str:
    changes = []
    for change in detail.split("; "):
        name, colon, values = change.partition(": ")
        if name.startswith("weight "):
            tier = name.removeprefix("weight ")
            name = _("Weight of %(tier)s", tier=TIER_WEIGHT_LABELS.get(tier, tier))
        else:
            name = str(POLICY_LABELS.get(name, name))
        changes.append(f"{name}{colon}{values}")
    return "; ".join(changes)


def _evidence_changes(detail: str) -> str:
    changes = []
    for change in detail.split("; "):
        name, colon, values = change.partition(": ")
        if name == "camera_required":
            values = " → ".join(_("yes") if v == "1" else _("no") for v in values.split(" → "))
        changes.append(f"{EVIDENCE_LABELS.get(name, name)}{colon}{values}")
    return "; ".join(changes)


def _delivered(detail: str) -> str:
    channel, _space, to = detail.partition(" ")
    label = _("Inbox") if channel == "inbox" else _label_of(Channel, channel)
    return _("%(channel)s to %(to)s", channel=label, to=to) if label else detail


def _receipt_way(detail: str) -> str:
    return str(ReceiptWay(detail).label) if detail in ReceiptWay._value2member_map_ else detail


def _witness(detail: str) -> str:
    return _("Witness: %(name)s", name=detail) if detail else ""


DETAILS = {
    "notice_acknowledged": _receipt_way,
    "notice_refused": _witness,
    "notice_unreachable": _witness,
    "message_delivered": _delivered,
    "inspection_submitted": _count_of_findings,
    "notice_drafted": _count_of_findings,
    "standards_imported": _import_counts,
    "plan_stop_saved": _stop_points,
    "survey_access": _survey_access,
    "survey_cards_issued": _cards,
    "exit_warning": _warning,
    "policy_saved": _policy_changes,
    "evidence_rules_saved": _evidence_changes,
}


def event_facts(event: AuditEvent) -> str:
    """Beside the event's label, in words: from which state to which, and its detail."""
    parts = []
    before, after = state_text(event, event.from_state), state_text(event, event.to_state)
    if before:
        parts.append(f"{before} → {after}")
    elif after and event.action not in SAYS_ITS_STATE:
        parts.append(after)
    detail = DETAILS.get(event.action, str)(event.detail or "")
    if detail:
        parts.append(detail)
    return " · ".join(parts)


# events whose label already says the state they leave the object in
SAYS_ITS_STATE = {
    "inspection_started",
    "complaint_filed",
    "notice_overdue",
    "exit_warning",
    "fix_reported",
    "fix_accepted",
    "fix_rejected",
    "notice_drafted",
    "notice_deadline_changed",
    "notice_refused",
    "notice_unreachable",
}
