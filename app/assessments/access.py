"""Who may read which bulletins: the managers every one, drafts too; everyone else the
published ones. Who may open the published results: whoever holds their current link."""

import hmac

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.assessments.models import Bulletin, BulletinStatus
from app.assessments.results_page import results_page
from app.auth.access import EDITORS
from app.core.extensions import db


def reads_drafts(user) -> bool:
    return user.role in EDITORS


def bulletins_seen(user):
    """The condition on Bulletin for the bulletins `user` may read."""
    if reads_drafts(user):
        return sa.true()
    return Bulletin.status == BulletinStatus.PUBLISHED


def get_readable_bulletin(month: str) -> Bulletin | None:
    """The month's bulletin if the signed-in user may read it (None: not begun, for a manager);
    404 for a draft or a missing one anyone else asks for."""
    bulletin = db.session.scalar(sa.select(Bulletin).where(Bulletin.month == month))
    if bulletin is not None and bulletin.status == BulletinStatus.PUBLISHED:
        return bulletin
    if not reads_drafts(current_user):
        abort(404)
    return bulletin


def check_results_link(token: str) -> None:
    """404 unless managers have the published results on and `token` is the link's current
    secret (compared in constant time): a replaced link and one never made look the same."""
    page = results_page()
    if page is None or not page.enabled or not _same(page.token, token):
        abort(404)


def _same(secret: str, given: str) -> bool:
    return hmac.compare_digest(secret.encode(), given.encode())


def get_published_bulletin(month: str) -> Bulletin:
    """The month's bulletin if it is published, which everyone signed in may read; 404 for a
    draft or a missing one, whoever asks."""
    bulletin = db.session.scalar(sa.select(Bulletin).where(Bulletin.month == month))
    if bulletin is None or bulletin.status != BulletinStatus.PUBLISHED:
        abort(404)
    return bulletin
