"""The published results (公布考核结果): managers turn on a page for the compound's staff, opened
by a secret link they hand out and can replace. It shows each published bulletin's ranking and
the measures it requires, read from what the bulletin froze at publishing, and nothing else."""

import sqlalchemy as sa

from app.assessments.models import Bulletin, BulletinStatus, ResultsPage
from app.auth.models import User
from app.core.audit import record_event
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.core.tokens import new_token

PAGE_ID = 1


def results_page() -> ResultsPage | None:
    """The page's settings; None until managers first turn it on."""
    return db.session.get(ResultsPage, PAGE_ID)


def switch_results_page(on: bool, by: User) -> ResultsPage:
    """Turn the page on (making its link the first time) or off; the link stays the same."""
    page = results_page() or _new_page()
    if page.enabled != on:
        page.enabled = on
        record_event("results_page_opened" if on else "results_page_closed", page, actor=by)
    db.session.commit()
    return page


def replace_results_link(by: User) -> ResultsPage:
    """A new secret for the link: the old link, and every QR code printed from it, open nothing."""
    page = results_page() or _new_page()
    page.token, page.token_made_at = new_token(), utcnow()
    record_event("results_link_replaced", page, actor=by)
    db.session.commit()
    return page


def _new_page() -> ResultsPage:
    page = ResultsPage(id=PAGE_ID, enabled=False, token=new_token(), token_made_at=utcnow())
    db.session.add(page)
    return page


def published_results() -> list[dict]:
    """Each published month, newest first: its ranking (place, contractor, score) and the
    measures required, as the bulletin froze them. Nothing else of the bulletin is read."""
    rows = db.session.execute(
        sa.select(Bulletin.month, Bulletin.snapshot, Bulletin.measures)
        .where(Bulletin.status == BulletinStatus.PUBLISHED)
        .order_by(Bulletin.month.desc())
    )
    return [
        {
            "month": month,
            "ranking": [
                {"rank": row["rank"], "name": row["name"], "score": row["overall"]}
                for row in (snapshot or {}).get("ranking", [])
            ],
            "measures": measures,
        }
        for month, snapshot, measures in rows
    ]
