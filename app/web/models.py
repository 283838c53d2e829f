"""What the web side keeps on the server: forms the phone's outbox has already delivered, and
the public forms sent from each address (for their rate limits)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.timeutil import utcnow


class DeliveredForm(db.Model):
    """A form sent by the phone's outbox under its client UUID, done once. A resend (its
    first answer was lost on the way) is answered with where the first one led."""

    __tablename__ = "delivered_forms"

    client_uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    location: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )


class PublicSubmission(db.Model):
    """A public form sent from an address (kept only as a keyed hash): for rate limits."""

    __tablename__ = "public_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    address_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
