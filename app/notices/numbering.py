"""Yearly document numbers that are never reused or skipped.

The counter row is taken with an UPDATE in the caller's transaction: concurrent issuers queue
on its row lock (PostgreSQL) or the write lock (SQLite), and a rollback returns the number.
"""

import sqlalchemy as sa

from app.core.extensions import db, insert_or_skip
from app.notices.models import DocumentCounter


def next_serial(kind: str, year: int) -> int:
    db.session.execute(
        insert_or_skip(DocumentCounter.__table__), {"kind": kind, "year": year, "last": 0}
    )
    return db.session.execute(
        sa.update(DocumentCounter)
        .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    ).scalar_one()
