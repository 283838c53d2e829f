"""Users, roles and login attempts."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import LabelledEnum, db, enum_type
from app.timeutil import utcnow


class Role(LabelledEnum):
    INSPECTOR = "inspector"
    MANAGER = "manager"
    CONTRACTOR = "contractor"
    CONTRACTOR_ADMIN = "contractor_admin"  # a contractor's user who keeps its company's accounts
    ADMIN = "admin"


Role.LABELS = {
    Role.INSPECTOR: _l("Inspector"),
    Role.MANAGER: _l("Manager"),
    Role.CONTRACTOR: _l("Contractor"),
    Role.CONTRACTOR_ADMIN: _l("Contractor administrator"),
    Role.ADMIN: _l("Administrator"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role IN ('contractor', 'contractor_admin')) = (contractor_id IS NOT NULL)",
            name="contractor_user_has_contractor",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[Role] = mapped_column(enum_type(Role), nullable=False)
    contractor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contractors.id"), nullable=True, index=True
    )
    phone: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    email: Mapped[str] = mapped_column(
        sa.String(255), nullable=False, default="", server_default=""
    )
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    last_login_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )
    # Part of the id a session (and a remember-me cookie) carries; a new password or a logout
    # draws a new one, so every session made before stops working, copies of its cookie too.
    session_epoch: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, default=lambda: secrets.token_hex(8), server_default="0"
    )

    contractor = relationship("Contractor", back_populates="users")

    def set_password(self, password: str) -> None:
        """Set the password and end every session of this user made before."""
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        self.end_sessions()

    def end_sessions(self) -> None:
        """End every session of this user, on every device, and every remember-me cookie."""
        self.session_epoch = secrets.token_hex(8)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginAttempt(db.Model):
    """One try at logging in; failures throttle the account and the address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    address: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    succeeded: Mapped[bool] = mapped_column(nullable=False)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
