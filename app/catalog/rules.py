"""The rules the bureau scores by (tier weights, fixed deductions, bands, the repeat window):
set by managers on the assessment pages, read by inspections, complaints and the monthly score."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import record_event
from app.core.extensions import db

DEFAULT_POLICY = {
    "tier_weights": {
        "daily": "1.0",
        "weekly_joint": "1.2",
        "monthly": "1.5",
        "half_yearly": "2.0",
        "ad_hoc": "1.0",
        "self_check": "0",  # a failure a contractor reports itself: no deduction by default
    },
    "overdue_notice_points": Decimal("2"),
    "exit_warning_points": Decimal("5"),
    "complaint_points": Decimal("3"),
    "bonus_cap": Decimal("5"),
    "score_bands": [
        {"minimum": "95", "percent": "10"},
        {"minimum": "90", "percent": "0"},
        {"minimum": "80", "percent": "-10"},
        {"minimum": "0", "percent": "-30"},
    ],
    "satisfaction_bands": [
        {"minimum": "95", "percent": "5"},
        {"minimum": "90", "percent": "0"},
        {"minimum": "80", "percent": "-5"},
        {"minimum": "0", "percent": "-15"},
    ],
    "praise_top": 1,
    "criticise_below": Decimal("85"),
    "repeat_window_days": 30,
    "repeat_weight": Decimal("1"),
}


# The rules' fields, named once: the form, the rules page and the history of a score use these.


class AssessmentPolicy(db.Model):
    """What managers set: tier weights, fixed deductions, the bonus cap, bands, bulletin rules."""

    __tablename__ = "assessment_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_weights: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    overdue_notice_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    exit_warning_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    complaint_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    bonus_cap: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    score_bands: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    satisfaction_bands: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    praise_top: Mapped[int] = mapped_column(nullable=False)
    criticise_below: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    # A finding repeats one at the same check point and place found this many days before.
    repeat_window_days: Mapped[int] = mapped_column(nullable=False, server_default="30")
    # A repeat's deduction is multiplied by this (1: a repeat costs what any finding costs).
    repeat_weight: Mapped[Decimal] = mapped_column(
        sa.Numeric(3, 1), nullable=False, server_default="1"
    )


def _once_per_request(name: str, read):
    """What `read()` returns, read once per request and kept on flask.g: the month's pages ask
    for the rules for every contractor, and rules not yet saved were looked for again each time
    (the session remembers no miss). Outside a request (the worker, the command line), read
    afresh: a manager may have changed them since."""
    if not has_request_context():
        return read()
    kept = g.setdefault("rules", {})
    if name not in kept:
        kept[name] = read()
    return kept[name]


def assessment_policy() -> AssessmentPolicy:
    """The managers' rules; until they first save them, the defaults (not yet stored)."""
    return _once_per_request(
        "assessment",
        lambda: db.session.get(AssessmentPolicy, 1) or AssessmentPolicy(id=1, **DEFAULT_POLICY),
    )


DEFAULT_EVIDENCE_POLICY = {
    "presence_radius_m": 200,
    "exif_gap_hours": 24,
    "camera_required": True,
    "not_taken_now_minutes": 10,
}
# The evidence rules' names, for the form and for the history of changes (app/timeline.py).
EVIDENCE_LABELS = {
    "presence_radius_m": _l("Distance from the place (m)"),
    "exif_gap_hours": _l("Hours between taking and sending"),
    "camera_required": _l("Photos of findings are taken with the camera"),
    "not_taken_now_minutes": _l("Minutes a finding's photo may be old"),
}


def evidence_changes(before: "EvidencePolicy", after: "EvidencePolicy") -> str:
    """What a save changed, as "name: before → after; ..." (yes/no as 1/0)."""
    changes = []
    for name in DEFAULT_EVIDENCE_POLICY:
        old, new = int(getattr(before, name)), int(getattr(after, name))
        if old != new:
            changes.append(f"{name}: {old} → {new}")
    return "; ".join(changes)


class EvidencePolicy(db.Model):
    """What managers set for evidence photos: how far from its place a photo may be taken,
    how long before it was sent, and whether findings must be photographed there and then."""

    __tablename__ = "evidence_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    # a photo farther than this (plus the accuracy its phone reported) is marked
    presence_radius_m: Mapped[int] = mapped_column(nullable=False)
    # a photo whose camera time is this far from the time it was sent is marked
    exif_gap_hours: Mapped[int] = mapped_column(nullable=False)
    # the checklist asks for the camera; a finding's photo older than the minutes is marked
    camera_required: Mapped[bool] = mapped_column(nullable=False)
    not_taken_now_minutes: Mapped[int] = mapped_column(nullable=False)

    @property
    def exif_gap(self) -> timedelta:
        return timedelta(hours=self.exif_gap_hours)

    @property
    def not_taken_now(self) -> timedelta:
        return timedelta(minutes=self.not_taken_now_minutes)


def evidence_policy() -> EvidencePolicy:
    """The managers' rules for photos; until they first save them, the defaults (not stored)."""
    return _once_per_request(
        "evidence",
        lambda: (
            db.session.get(EvidencePolicy, 1) or EvidencePolicy(id=1, **DEFAULT_EVIDENCE_POLICY)
        ),
    )


def save_evidence_rules(form) -> EvidencePolicy:
    """The managers' evidence rules as the form says, audited with what changed, committed."""
    rules = evidence_policy()
    before = EvidencePolicy(**{name: getattr(rules, name) for name in EVIDENCE_LABELS})
    form.populate_obj(rules)
    record_event(
        "evidence_rules_saved",
        object_type="evidence_policy",
        object_id=rules.id,
        detail=evidence_changes(before, rules),
    )
    db.session.merge(rules)
    db.session.commit()
    return rules
