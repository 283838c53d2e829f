"""`flask --app wsgi notices escalate`: run from cron; running it twice changes nothing more."""

import click
from flask.cli import AppGroup

from app.core.extensions import db
from app.notices.documents import keep_warnings
from app.notices.lifecycle import escalate

notices_cli = AppGroup("notices", help="Rectification notice tasks.")


@notices_cli.command("escalate")
def escalate_command():
    """Mark overdue notices and issue the exit warnings the policy calls for."""
    marked, warnings = escalate()
    keep_warnings(warnings)
    db.session.commit()
    click.echo(f"{len(marked)} notices newly overdue, {len(warnings)} exit warnings issued.")
