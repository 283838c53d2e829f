"""`flask --app wsgi users create NAME --name 姓名 --role admin`: accounts from a server shell,
for the first administrator (everyone else is invited)."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.auth.models import Role
from app.auth.users import create_user
from app.core.extensions import db
from app.core.refusals import Refused

users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--contractor-id", type=int, default=None)
@click.password_option()
def create_command(username, display_name, role, contractor_id, password):
    """Create an account, for example the first administrator."""
    try:
        create_user(username, display_name, role, password, contractor_id=contractor_id)
        db.session.commit()
    except Refused as exc:
        raise click.ClickException(f"username {username} is taken") from exc
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException(
            "a contractor user needs --contractor-id of an existing contractor, "
            "and only contractor users may have one"
        ) from exc
    click.echo(f"User {username} created.")
