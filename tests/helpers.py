"""What tests share besides fixtures: the test password, the cast of people, a client with a
context per request, small makers of uploads (a spreadsheet, a photo), and extra PostgreSQL
databases."""

import contextvars
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import Workbook
from PIL import Image

from app.auth.models import User
from app.catalog.models import Contractor
from app.catalog.standards_io import HEADERS
from app.extensions import db

PASSWORD = "correct-horse-9"


@dataclass
class Cast:
    """The people every test of who-sees-what needs. `own` is the contractor whose records a
    test makes; `owner` and `colleague` are two of its users; `outsider` is the user of the
    `other` contractor, who must never see them; then the department's inspector, a second
    inspector (not on the inspector's checks unless a test puts them there), a manager and an
    admin. Each test module gives the two companies their service lines and sites."""

    own: Contractor
    other: Contractor
    owner: User
    colleague: User
    outsider: User
    inspector: User
    second_inspector: User
    manager: User
    admin: User

    def by_role(self, role: str) -> User:
        """The one user of a role; "contractor" is the owner."""
        return self.owner if role == "contractor" else getattr(self, role)


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as in production, so `g`
    (the login and locale caches) and the database session are not shared with the test."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    """A standards spreadsheet with the given header and rows, ready to upload."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def jpeg(size=(640, 480), color=(30, 120, 200)) -> bytes:
    """A plain JPEG photo for tests."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def save(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.data.decode()[:500]
    return response


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A PostgreSQL database beside the suite's (a copy of `template` if named); its URL."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop it even if a server the test started is still connected."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()
