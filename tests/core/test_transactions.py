"""A transaction that only read ends with COMMIT (app/core/transactions.py): a ROLLBACK makes
psycopg forget the statements it has prepared on PostgreSQL; anything that wrote, or waits to
be written, is still rolled back."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.auth.models import User
from app.catalog.models import Site
from app.core.extensions import db
from app.core.transactions import commit_if_only_read
from app.demo import seed_demo
from app.plans.models import InspectionPlan
from tests.helpers import IsolatedClient, demo_draft_at_the_lobby, login, tap


@contextmanager
def transactions():
    """How the block's transactions began and ended: "begin", "commit", "rollback" in turn."""
    seen = []
    listeners = {
        name: (lambda *_args, name=name: seen.append(name))
        for name in ("begin", "commit", "rollback")
    }
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners.items():
            event.remove(db.engine, name, listener)


def plan_names() -> list[str]:
    with db.engine.connect() as connection:
        return connection.scalars(sa.select(InspectionPlan.name)).all()


def test_a_transaction_that_only_read_is_committed(app):
    seed_demo(history=False)
    db.session.commit()
    with transactions() as seen:
        db.session.scalars(sa.select(Site)).all()
        assert commit_if_only_read(db.session())
    assert seen == ["begin", "commit"]
    assert not db.session().in_transaction()


def test_a_transaction_that_wrote_or_holds_changes_is_left_to_the_rollback(app):
    seed_demo(history=False)
    db.session.commit()
    plans_before = plan_names()
    plan = db.session.scalars(sa.select(InspectionPlan)).first()
    plan.name = "renamed, never saved"  # waits to be flushed
    assert not commit_if_only_read(db.session())
    db.session.flush()  # written, not committed
    db.session.scalars(sa.select(Site)).all()  # a read after the write changes nothing
    assert not commit_if_only_read(db.session())
    db.session.rollback()
    db.session.execute(sa.update(InspectionPlan).values(name="renamed by SQL"))
    assert not commit_if_only_read(db.session())
    db.session.rollback()
    assert plan_names() == plans_before
    # a read in a new transaction after a commit is a read again
    db.session.commit()
    db.session.scalars(sa.select(Site)).all()
    assert commit_if_only_read(db.session())


def test_a_request_ends_its_reads_with_commit_and_a_failed_one_with_rollback(app):
    def fails_after_reading():
        db.session.scalars(sa.select(Site)).all()
        raise RuntimeError("fails")

    app.add_url_rule("/fails-after-reading", view_func=fails_after_reading)
    seed_demo(history=False)
    db.session.commit()
    app.test_client_class = IsolatedClient
    client = app.test_client()
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    login(client, inspector, password="demo12345")
    with transactions() as seen:
        assert client.get("/").status_code == 200
    assert seen == ["begin", "commit"]
    with transactions() as seen:
        assert client.get("/inspections/999999/run").status_code == 404  # answered, not failed
    assert seen == ["begin", "commit"]
    with transactions() as seen, pytest.raises(RuntimeError):
        client.get("/fails-after-reading")
    assert seen == ["begin", "rollback"]


def test_a_changed_answer_and_its_card_share_a_transaction_on_postgresql_not_on_sqlite(app):
    """On PostgreSQL, which locks only the tapped row, the tap is stored and its card read in
    one transaction: one BEGIN and one COMMIT (one connection checkout), none rolled back.
    SQLite locks the whole database while a write is open: the tap commits first, then its
    card is read (and that read is committed too)."""
    inspector, draft = demo_draft_at_the_lobby()
    item = draft.items[0]  # loaded here: the transactions below are the taps' alone
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, inspector, password="demo12345")
    for n, answer in enumerate(("pass", "fail")):
        with transactions() as seen:
            tapped = tap(client, item, answer, n)
        assert tapped.status_code == 200
        if n == 0 or db.engine.dialect.name == "postgresql":  # a first answer has no card
            assert seen == ["begin", "commit"], answer
        else:
            assert seen == ["begin", "commit", "begin", "commit"], answer
    assert 'id="item-' in tapped.text and 'aria-pressed="true"' in tapped.text
