"""The managers' work on a month's bulletin: each action writes and commits, and refuses to
touch a bulletin once it is published."""

from flask_babel import gettext as _

from app.assessments.bulletins import get_or_create, publish
from app.assessments.models import Bulletin, BulletinStatus
from app.auth.models import User
from app.core.extensions import db
from app.core.refusals import require

PROSE = ("summary", "praise", "criticism", "measures")
MAX_PROSE = 5000


def _draft(month: str) -> Bulletin:
    draft = get_or_create(month)
    require(draft.status != BulletinStatus.PUBLISHED, _("A published bulletin cannot be changed."))
    return draft


def save_prose(month: str, texts: dict[str, str | None]) -> Bulletin:
    """The draft's prose (PROSE, by name), each trimmed and cut to MAX_PROSE characters."""
    draft = _draft(month)
    for name in PROSE:
        setattr(draft, name, (texts.get(name) or "").strip()[:MAX_PROSE])
    db.session.commit()
    return draft


def publish_draft(month: str, by: User) -> Bulletin:
    draft = _draft(month)
    publish(draft, by)
    db.session.commit()
    return draft
