"""The outside identities linked to accounts."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.extensions import LabelledEnum, db, enum_type
from app.core.timeutil import utcnow


class Provider(LabelledEnum):
    OIDC = "oidc"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


Provider.LABELS = {
    Provider.OIDC: _l("Single sign-on"),
    Provider.WECOM: _l("WeCom"),
    Provider.DINGTALK: _l("DingTalk"),
    Provider.FEISHU: _l("Feishu"),
}


class ExternalIdentity(db.Model):
    """One person as a provider knows them (OIDC `sub`, 企业微信 UserId, 钉钉 unionId, 飞书
    open_id), linked to one account."""

    __tablename__ = "external_identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    provider: Mapped[Provider] = mapped_column(enum_type(Provider), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    display: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    linked_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()
