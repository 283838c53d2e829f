"""What the worker keeps: when each job on the clock last ran and runs next."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db


class ClockJob(db.Model):
    """A job the worker runs on a clock; whichever worker claims it first runs it."""

    __tablename__ = "clock_jobs"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    running_until: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )
    last_run_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    last_result: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
