"""Who hears of a notice's changes: the contractor of what concerns it, the supervisors of what
waits for them. Called by the lifecycle inside the change's own transaction."""

from app.notices.models import ExitWarning, Notice, NoticeItem
from app.notify.events import SUPERVISION_TEAM, announce, contractor_users, managers
from app.notify.models import EventKind
from app.web.links import path_for


def _link(notice: Notice) -> str:
    return path_for("notices.notice", notice_id=notice.id)


def _verifiers(notice: Notice) -> list:
    """Who verifies a fix: whoever issued the notice and the inspectors of its findings."""
    people = [notice.issued_by]
    for item in notice.items:
        people.extend(item.finding.inspection.inspectors)
    return people


def tell_issued(notice: Notice) -> None:
    announce(
        EventKind.NOTICE_ISSUED,
        {
            "number": notice.number,
            "contractor": notice.contractor.short_name,
            "deadline": notice.deadline.isoformat(),
            "n": len(notice.items),
        },
        _link(notice),
        users=contractor_users(notice.contractor_id),
        robots_of=[notice.contractor_id],
        about=notice,
    )


def tell_fix_reported(item: NoticeItem) -> None:
    notice = item.notice
    announce(
        EventKind.FIX_REPORTED,
        {
            "number": notice.number,
            "contractor": notice.contractor.short_name,
            "title": item.finding.title,
        },
        _link(notice),
        users=_verifiers(notice),
        robots_of=[SUPERVISION_TEAM],
        about=notice,
    )


def tell_fix_rejected(item: NoticeItem) -> None:
    notice = item.notice
    announce(
        EventKind.FIX_REJECTED,
        {
            "number": notice.number,
            "title": item.finding.title,
            "reason": item.rejection_reason,
            "new_deadline": item.deadline.isoformat(),
        },
        _link(notice),
        users=contractor_users(notice.contractor_id),
        robots_of=[notice.contractor_id],
        about=notice,
    )


def tell_overdue(notice: Notice) -> None:
    deadline = notice.next_deadline()
    announce(
        EventKind.NOTICE_OVERDUE,
        {
            "number": notice.number,
            "contractor": notice.contractor.short_name,
            "deadline": deadline.isoformat() if deadline else "",
        },
        _link(notice),
        users=[*contractor_users(notice.contractor_id), notice.issued_by, *managers()],
        robots_of=[notice.contractor_id, SUPERVISION_TEAM],
        about=notice,
    )


def tell_warning(warning: ExitWarning) -> None:
    notice = warning.notice
    announce(
        EventKind.EXIT_WARNING,
        {
            "number": warning.number,
            "contractor": notice.contractor.short_name,
            "notice": notice.number,
        },
        path_for("notices.warning", warning_id=warning.id),
        users=[*contractor_users(notice.contractor_id), *managers()],
        robots_of=[notice.contractor_id, SUPERVISION_TEAM],
        about=notice,
    )
