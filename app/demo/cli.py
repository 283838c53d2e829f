"""`flask --app wsgi demo seed [--if-empty]`: the demo organisation, as `make run` loads it."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.auth.models import User
from app.core.extensions import db
from app.demo import seed_demo

demo_cli = AppGroup("demo", help="The demo organisation.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has users.")
def seed_command(if_empty):
    """Load the demo organisation (accounts use the password demo12345)."""
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already has data; demo not loaded.")
        return
    seed_demo()
    click.echo("Demo organisation loaded. Log in as manager / demo12345.")
