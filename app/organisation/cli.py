"""`flask --app wsgi org export FILE.xlsx` and `flask --app wsgi org import FILE.xlsx
[--dry-run]`: the organisation workbook from a server shell, as the import page does it."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.extensions import db
from app.core.uploads import too_large_message, upload_limit_bytes
from app.organisation.apply import apply_plan
from app.organisation.changes import ENTITIES
from app.organisation.export import export_workbook
from app.organisation.plan import Plan, plan_import

org_cli = AppGroup("org", help="The organisation workbook: places, contractors, staff, accounts.")


@org_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path):
    """Write the organisation to FILE.xlsx in the format the import reads."""
    path.write_bytes(export_workbook())
    click.echo(_("Organisation written to %(path)s.", path=path))


@org_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
def import_command(path: Path, dry_run: bool):
    """Import FILE.xlsx all or nothing; exit status 1 if any row is bad."""
    if path.stat().st_size > upload_limit_bytes():  # refused unread, as an upload would be
        click.echo(too_large_message(), err=True)
        raise SystemExit(1)
    plan = plan_import(path.read_bytes())
    _echo_plan(plan)
    if not plan.ok:
        db.session.rollback()
        click.echo(_("Nothing was imported: %(n)d problems.", n=len(plan.problems)), err=True)
        raise SystemExit(1)
    if dry_run or not plan.has_changes:
        db.session.rollback()
        click.echo(_("Dry run: nothing was written.") if dry_run else _("Nothing to change."))
        return
    try:
        invited = apply_plan(plan)
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException(
            _("The import could not be written, so nothing was imported.")
        ) from exc
    for user, link in invited:  # shown this once: only the links' hashes are kept
        click.echo(_("Invitation for %(username)s: %(link)s", username=user.username, link=link))
    click.echo(_("Imported."))


def _echo_plan(plan: Plan) -> None:
    for line in plan.summary():
        click.echo(line)
    for key, outcome in plan.outcomes.items():
        for change in outcome.changed:
            details = "; ".join(
                f"{d.column}: {d.old or '—'} → {d.new or '—'}" for d in change.differences
            )
            click.echo(f"  ~ {ENTITIES[key]} {change.key}: {details}")
        for name in outcome.missing:
            click.echo(f"  ? {ENTITIES[key]} {name}")
    for problem in plan.problems:
        where = [problem.sheet or _("The file")]
        if problem.row:
            where.append(_("row %(n)d", n=problem.row))
        if problem.column:
            where.append(problem.column)
        click.echo(
            _("%(where)s: %(message)s", where=" · ".join(where), message=problem.message), err=True
        )
