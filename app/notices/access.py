"""Who may see a notice: supervisors all; a contractor's users only their own issued ones."""

from flask import abort
from flask_login import current_user

from app.auth.access import SUPERVISORS, is_contractor
from app.core.extensions import db
from app.notices.models import ExitWarning, FixPhoto, Notice, NoticeItem, NoticeStatus


def sees_drafts(user) -> bool:
    return user.role in SUPERVISORS


def can_see_notice(user, notice: Notice) -> bool:
    if sees_drafts(user):
        return True
    return (
        is_contractor(user)
        and user.contractor_id == notice.contractor_id
        and notice.status != NoticeStatus.DRAFT
    )


def get_notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
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
    if warning is None:
        abort(404)
    if current_user.role not in SUPERVISORS and current_user.contractor_id != warning.contractor_id:
        abort(404)
    return warning
