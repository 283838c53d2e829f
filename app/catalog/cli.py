"""`flask --app wsgi standards load`: the shipped standards library, from a server shell."""

import click
from flask.cli import AppGroup

from app.catalog.standards_io import load_default_catalogue
from app.core.extensions import db

standards_cli = AppGroup("standards", help="The standards library.")


@standards_cli.command("load")
def load_command():
    """Load or refresh the shipped standards library (matched by check point code)."""
    report = load_default_catalogue()
    if not report.ok:
        for error in report.errors:
            click.echo(f"row {error.row} {error.column}: {error.message}", err=True)
        db.session.rollback()
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"{report.created} check points added, {report.updated} updated.")
