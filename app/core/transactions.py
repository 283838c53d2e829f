"""A transaction that only read ends with COMMIT, not ROLLBACK, so that PostgreSQL keeps the
plans of the statements it has run.

psycopg prepares a statement on a connection once it has run there five times, and from then
on PostgreSQL runs it without planning it again (planning a page's joined statements cost it
more than running them). A ROLLBACK makes psycopg forget every statement it prepared, since
the transaction might have dropped what they refer to. Flask-SQLAlchemy ends every request by
rolling back what is still open, and almost every request leaves reads open (a page; the last
reads of a write), so every statement was planned afresh on every request. A transaction that
ran nothing but SELECTs and holds no unflushed changes ends alike either way, so it is
committed; anything else is left to the rollback, as before."""

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.core.extensions import db

READS_ONLY = "xunjian_reads_only"  # in a connection's info: its transaction has only read
CONNECTION = "xunjian_connection"  # in a session's info: the connection its transaction uses


@event.listens_for(Engine, "begin")
def _nothing_written_yet(connection) -> None:
    connection.info[READS_ONLY] = True


@event.listens_for(Engine, "before_cursor_execute")
def _note_a_write(connection, cursor, statement, parameters, context, executemany) -> None:
    # SELECT only: a writing CTE (WITH … INSERT), a SAVEPOINT or a PRAGMA counts as a write
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[READS_ONLY] = False


@event.listens_for(Session, "after_begin")
def _remember_connection(session, transaction, connection) -> None:
    session.info[CONNECTION] = connection


def end_reads_with_commit(app: Flask) -> None:
    """Register the teardown; after db.init_app, so that it runs before the session's removal."""

    @app.teardown_appcontext
    def commit_reads(error: BaseException | None) -> None:
        if error is None and db.session.registry.has():
            commit_if_only_read(db.session())


def commit_if_only_read(session: Session) -> bool:
    """Commit the session's transaction if it only read and nothing waits to be flushed."""
    connection = session.info.get(CONNECTION)
    if (
        connection is None
        or connection.closed
        or not session.in_transaction()
        or not connection.info.get(READS_ONLY, False)
        or session.new
        or session.dirty
        or session.deleted
    ):
        return False
    try:
        # what the request loaded stays as it was read, as after the rollback it replaces
        commit_keeping_loaded(session)
    except sa.exc.SQLAlchemyError:
        session.rollback()  # a lost connection: the removal that follows cleans up
        return False
    return True


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring what the session has loaded: what is shown next is what was
    just read or written, and reloading it would cost a statement for each."""
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def writes_lock_the_database() -> bool:
    """Whether an open write keeps every other writer waiting (SQLite locks the whole
    database; PostgreSQL only the rows written): there, a write commits before it reads
    what it shows."""
    return db.session.get_bind().dialect.name == "sqlite"
