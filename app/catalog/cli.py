"""`flask --app wsgi standards load`: the shipped standards library, from a server shell."""

import click
from flask.cli import AppGroup

from app.catalog.backfill import fill_areas_and_frequencies
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


@standards_cli.command("backfill")
def backfill_command():
    """After upgrading: give the lines and check points of an earlier version the shipped
    library's area and frequency, where a manager has not set them; safe to run again."""
    filled = fill_areas_and_frequencies()
    db.session.commit()
    click.echo(
        f"{filled.lines} service lines given their area, "
        f"{filled.points} check points their frequency."
    )
    if filled.lines_left:
        click.echo(
            f"Left without an area, as a manager saved them: {', '.join(filled.lines_left)}."
        )
    if filled.points_left:
        click.echo(
            f"{filled.points_left} check points left at 每月, as a manager may have chosen it "
            "(saved on its page, or a spreadsheet was imported): check them in the library."
        )
