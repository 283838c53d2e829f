"""The app as `make run` serves it, plus two bare routes to compare the real ones against."""

import sqlalchemy as sa

from app.core.extensions import db
from app.core.timeutil import utcnow
from wsgi import app

# created by bench/answer_save.py, the benchmark that posts to /bench/write
bench_writes = sa.Table(
    "bench_writes",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
)


@app.get("/bench/bare")
def bare():
    return "ok"


@app.post("/bench/write")
def bare_write():
    """One row inserted and committed: the least any write can cost."""
    db.session.execute(bench_writes.insert().values(written_at=utcnow()))
    db.session.commit()
    return "ok"
