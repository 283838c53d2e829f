"""Yearly document numbers that are never reused or skipped.

The counter row is taken with an UPDATE in the caller's transaction: concurrent issuers queue
on its row lock (PostgreSQL) or the write lock (SQLite), and a rollback returns the number.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.notices.models import DocumentCounter


def next_serial(kind: str, year: int) -> int:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(DocumentCounter).values(kind=kind, year=year, last=0).on_conflict_do_nothing()
    )
    return db.session.execute(
        sa.update(DocumentCounter)
        .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    ).scalar_one()
