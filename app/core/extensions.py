"""Flask extensions, created once and attached in create_app; shared column types."""

import enum
import functools

import sqlalchemy as sa
from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
talisman = Talisman()
babel = Babel()
htmx = Htmx()
compress = Compress()


def insert_or_skip(table: sa.Table) -> sa.Insert:
    """INSERT ... ON CONFLICT DO NOTHING into `table` (values given at execution), in the
    session's database's own words: both databases have it, SQLAlchemy spells it per dialect.
    It returns the new row's key, or no row when a unique key already held one (an INSERT's
    rowcount is not reliable across drivers)."""
    return _insert_or_skip(table, db.session.get_bind().dialect.name)


@functools.cache  # built once per table: executing it again skips building and compiling it
def _insert_or_skip(table: sa.Table, dialect: str) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def enum_type(enum_cls) -> sa.Enum:
    """A portable enum column stored as its string values (no native PostgreSQL type)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=True,
        name=enum_cls.__name__.lower(),
    )


class LabelledEnum(enum.StrEnum):
    """A stored enum whose members show a translated label; each class sets LABELS after it."""

    @property
    def label(self) -> str:
        return str(type(self).LABELS[self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a form's select."""
        return [(member.value, member.label) for member in cls]
