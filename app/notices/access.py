"""Who may see and act on a notice: supervisors see all and draft, edit, serve and verify;
a contractor's users see only their own issued ones, acknowledge them and report fixes."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.auth.access import EDITORS, SUPERVISORS, is_contractor
from app.core.extensions import db
from app.notices.models import (
    ExitWarning,
    FixPhoto,
    ItemStatus,
    Notice,
    NoticeItem,
    NoticeStatus,
)


def sees_drafts(user) -> bool:
    return supervises_notices(user)


def supervises_notices(user) -> bool:
    """Supervisors draft, edit, serve and verify notices."""
    return user.role in SUPERVISORS


def oversees_notices(user) -> bool:
    """Managers watch overdue notices, drafts to issue and exit warnings in their queue."""
    return user.role in EDITORS


def receives_notices(user) -> bool:
    """A contractor's users, to whom notices are issued."""
    return is_contractor(user)


def chooses_contractor(user) -> bool:
    """Whether the notices list offers a choice of contractor (a contractor's users see only
    their own, whatever they ask)."""
    return not receives_notices(user)


def can_see_notice(user, notice: Notice) -> bool:
    if sees_drafts(user):
        return True
    return is_contractors_own(notice, user) and notice.status != NoticeStatus.DRAFT


def visible_notices(user):
    """The condition on Notice for the notices a user sees: what can_see_notice allows."""
    if sees_drafts(user):
        return sa.true()
    if receives_notices(user):
        return sa.and_(
            Notice.contractor_id == user.contractor_id, Notice.status != NoticeStatus.DRAFT
        )
    return sa.false()


def is_contractors_own(notice: Notice, user) -> bool:
    return receives_notices(user) and user.contractor_id == notice.contractor_id


def can_acknowledge(notice: Notice, user) -> bool:
    return is_contractors_own(notice, user) and notice.status == NoticeStatus.ISSUED


def can_report_fix(item: NoticeItem, user) -> bool:
    return (
        is_contractors_own(item.notice, user)
        and item.notice.status == NoticeStatus.ACKNOWLEDGED
        and item.status == ItemStatus.OPEN
    )


def can_record_unsigned_service(notice: Notice, user) -> bool:
    return supervises_notices(user) and notice.status == NoticeStatus.ISSUED


def can_see_warning(user, warning: ExitWarning) -> bool:
    return supervises_notices(user) or user.contractor_id == warning.contractor_id


def visible_warnings(user):
    """The condition on ExitWarning for the warnings in a user's queue: a contractor's users
    their own, managers all, others none."""
    if receives_notices(user):
        return ExitWarning.contractor_id == user.contractor_id
    if oversees_notices(user):
        return sa.true()
    return sa.false()


def get_notice(notice_id: int, *loading) -> Notice:
    """The notice if the user may see it (else 404), loaded with the `loading` options."""
    notice = db.session.get(Notice, notice_id, options=loading)
    if notice is None or not can_see_notice(current_user, notice):
        abort(404)
    return notice


def get_notice_item(notice_id: int, item_id: int) -> NoticeItem:
    notice = get_notice(notice_id)
    item = db.session.get(NoticeItem, item_id)
    if item is None or item.notice_id != notice.id:
        abort(404)
    return item


def get_fix_photo(photo_id: int) -> FixPhoto:
    photo = db.session.get(FixPhoto, photo_id)
    if photo is None or not can_see_notice(current_user, photo.item.notice):
        abort(404)
    return photo


def get_warning(warning_id: int) -> ExitWarning:
    warning = db.session.get(ExitWarning, warning_id)
    if warning is None or not can_see_warning(current_user, warning):
        abort(404)
    return warning
