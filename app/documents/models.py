from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.timeutil import utcnow


def shown(code: str) -> str:
    """A code as printed: groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class DocumentVersion(db.Model):
    """One issued document as it stood at one change of state: rendered once, stored, and
    known by its SHA-256 and by the code printed on it."""

    __tablename__ = "document_versions"
    __table_args__ = (sa.UniqueConstraint("kind", "record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    record_id: Mapped[int] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(nullable=False)
    # what the document shows that may change; a new version when it does
    state_key: Mapped[str] = mapped_column(sa.Text, nullable=False)
    state_label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(12), nullable=False, unique=True)
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    number: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    addressee: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    dated: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    made_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    @property
    def shown_code(self) -> str:
        return shown(self.code)
