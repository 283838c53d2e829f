"""Template filters and the navigation every page shows."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.catalog.rules import evidence_policy
from app.core.audit import action_label
from app.core.evidence import marks_for
from app.core.timeutil import as_utc, local_today
from app.core.uploads import upload_limit_bytes
from app.main.access import layout_flags, sees_evidence_marks, shows_in_navigation
from app.main.queues import current_badges
from app.timeline import event_facts

# (endpoint, label, endpoints that count as this section, badge: which of the numbers in
# queues.Badges); who sees each entry is in app/main/access.py
NAVIGATION = [
    ("main.home", _l("Home"), "main.home", "total"),
    ("inspections.inspections", _l("Inspections"), "inspections.", "drafts"),
    ("plans.plans", _l("Plans"), "plans.", "visits_due"),
    ("notices.notices", _l("Notices"), "notices.", "notices_waiting"),
    ("feedback.complaints", _l("Complaints"), "feedback.complaint", "complaints_open"),
    ("feedback.surveys", _l("Surveys"), "feedback.survey", None),
    (
        "inspections.self_checks",
        _l("Self-checks"),
        ("inspections.self_check", "inspections.start_self_check"),
        None,
    ),
    (
        "assessments.dashboard",
        _l("Assessment"),
        ("assessments.dashboard", "assessments.month", "assessments.edit_policy"),
        None,
    ),
    ("assessments.bulletins", _l("Bulletins"), ("assessments.bulletin",), None),
    ("analysis.analysis", _l("Analysis"), "analysis.", None),
    ("catalog.standards", _l("Standards"), "catalog.standards", None),
    ("catalog.contractors", _l("Contractors"), "catalog.contractor", None),
    ("catalog.contractor_own", _l("My company"), "catalog.contractor", "expired_certificates"),
    ("catalog.certificates", _l("Certificates"), "catalog.certificate", "expired_certificates"),
    ("catalog.sites", _l("Sites"), "catalog.site", None),
    ("organisation.users", _l("Users"), "organisation.user", "locked_users"),
    (
        "organisation.import_page",
        _l("Organisation"),
        # the workbook's pages; the accounts' pages (organisation.user…) are "Users"
        ("organisation.import_page", "organisation.upload", "organisation.review")
        + ("organisation.confirm", "organisation.export", "organisation.template"),
        None,
    ),
    ("notify.deliveries", _l("Deliveries"), "notify.deliveries", None),
]


def evidence_marks(kind: str, photos) -> dict:
    """The marks on these photos by photo id (one query), for supervisors: a contractor
    never sees what its photos were marked for."""
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    if not sees_evidence_marks(current_user):
        return {}
    return marks_for(kind, (photo.id for photo in photos))


def register_template_helpers(app):
    @app.template_filter("localdatetime")
    def localdatetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
        return format_datetime(as_utc(value), fmt) if value else ""

    @app.template_filter("clocktime")
    def clocktime(value: datetime | None) -> str:
        """The local time of day, HH:MM:SS: what localdatetime(value, "HH:mm:ss") gives, without
        Babel's pattern formatting, for lists that print many (a card's answer history)."""
        return to_user_timezone(as_utc(value)).strftime("%H:%M:%S") if value else ""

    @app.template_filter("isodate")
    def isodate(value: date | None) -> str:
        return format_date(value, "yyyy-MM-dd") if value else ""

    app.add_template_filter(action_label, "action_label")
    app.add_template_filter(event_facts, "event_facts")
    app.add_template_global(upload_limit_bytes)
    app.add_template_global(evidence_marks)
    app.add_template_global(evidence_policy, "evidence_rules")

    @app.template_filter("money")
    def money(value: Decimal | str | None) -> str:
        if value is None:
            return ""
        value = Decimal(value)
        return f"−¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"

    @app.template_filter("points")
    def points(value: Decimal | None) -> str:
        return f"{value:.1f}".rstrip("0").rstrip(".") if value is not None else ""

    @app.context_processor
    def layout_context():
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "html_lang": "zh-Hans" if locale.startswith("zh") else locale,
            "current_locale": locale,
            "navigation": navigation_for_current_user,
            "today": local_today(),
            **layout_flags(current_user),
        }


@dataclass
class NavEntry:
    endpoint: str
    label: str
    count: int
    active: bool


@dataclass
class Navigation:
    """The entries always shown, and those folded under "More" on a long list (a supervisor's
    thirteen would fill three rows of a phone); "More" carries their badges and their
    active mark, so nothing waiting is hidden."""

    shown: list[NavEntry]
    more: list[NavEntry]

    @property
    def more_count(self) -> int:
        return sum(entry.count for entry in self.more)

    @property
    def more_active(self) -> bool:
        return any(entry.active for entry in self.more)


NAV_ALWAYS_SHOWN = 4  # a role with up to NAV_ALWAYS_SHOWN + 2 entries sees them all


def navigation_for_current_user() -> Navigation:
    """Navigation entries for the current user's role, with badge counts and the active one."""
    if not current_user.is_authenticated:
        return Navigation([], [])
    badges = current_badges()
    endpoint_now = request.endpoint or ""
    entries = []
    for endpoint, label, section, badge in NAVIGATION:
        if not shows_in_navigation(current_user, endpoint):
            continue
        count = getattr(badges, badge) if badge else 0
        prefixes = section if isinstance(section, tuple) else (section,)
        entries.append(NavEntry(endpoint, label, count, endpoint_now.startswith(prefixes)))
    if len(entries) <= NAV_ALWAYS_SHOWN + 2:
        return Navigation(entries, [])
    return Navigation(entries[:NAV_ALWAYS_SHOWN], entries[NAV_ALWAYS_SHOWN:])
