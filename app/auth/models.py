"""Users, roles, invitations and login attempts."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.extensions import LabelledEnum, db, enum_type
from app.core.timeutil import as_utc, utcnow
from app.core.tokens import new_token, token_hash

# Starts the password hash of an account whose person has not set a password yet: werkzeug's
# hashes start with their method's name, so no password ever matches it.
NO_PASSWORD = "!"


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

    def set_no_password(self) -> None:
        """Leave the account without a password until its person sets one (an invitation)."""
        self.password_hash = NO_PASSWORD + secrets.token_hex(16)

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(NO_PASSWORD)

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
        return self.has_password and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Invitation(db.Model):
    """A link where the person of a new account (or one who lost theirs) sets a password: valid
    for a week, used once. Only hashes of its secrets are kept: the link the administrator was
    shown, and the one its e-mail carries, made when the e-mail is sent."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    emailed_token_hash: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True, unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    def is_open(self, now: datetime) -> bool:
        """Whether the link may still set a password: unused, not replaced, not expired, and
        the account not deactivated."""
        return (
            self.used_at is None
            and self.revoked_at is None
            and as_utc(self.expires_at) > now
            and self.user.active
        )

    def new_emailed_token(self) -> str:
        """The secret of the link its e-mail carries, made as the e-mail is sent; the link of
        an earlier try at sending it stops working."""
        token = new_token()
        self.emailed_token_hash = token_hash(token)
        return token


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
