from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.timeutil import utcnow


class AnalysisMeeting(db.Model):
    """A quality-analysis meeting (质量分析例会): the analysis it looked at, kept as a PDF made
    once, and the measures agreed there."""

    __tablename__ = "analysis_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    first: Mapped[date] = mapped_column(sa.Date, nullable=False)
    last: Mapped[date] = mapped_column(sa.Date, nullable=False)
    selection: Mapped[dict] = mapped_column(sa.JSON, nullable=False)  # the page's query string
    measures: Mapped[str] = mapped_column(sa.Text, nullable=False)
    pdf_digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    created_by = relationship("User")
