"""What the offline side keeps on the server: forms the phone's outbox has already delivered."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


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
