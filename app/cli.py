"""Command-line tasks: `flask --app wsgi seed-demo`, `create-user`, `load-standards`,
`worker`, `backup`, `restore`."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from app.auth.models import Role, User
from app.auth.users import create_user
from app.catalog.standards_io import load_default_catalogue
from app.extensions import db
from app.refusals import Refused


def register_cli(app: Flask) -> None:
    from app.notices.cli import notices_cli

    app.cli.add_command(notices_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing if the database has users.")
    def seed_demo_command(if_empty):
        """Load the demo organisation (accounts use the password demo12345)."""
        from app.demo import seed_demo

        if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
            click.echo("The database already has data; demo not loaded.")
            return
        seed_demo()
        click.echo("Demo organisation loaded. Log in as manager / demo12345.")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="One pass (jobs due, messages due), then exit.")
    def worker_command(once):
        """Run the clock (escalation, reminders, missed visits, certificates) and send the
        outbox; stops on SIGTERM or Ctrl-C."""
        from app.notify.worker import run_worker, work_once

        if once:
            click.echo(work_once())
        else:
            run_worker()

    @app.cli.command("backup")
    @click.option(
        "--to",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where to write the archive (default: instance/backups).",
    )
    def backup_command(directory):
        """Write a consistent backup of the database and the photo store."""
        from app.backup import BackupError, write_backup

        try:
            archive = write_backup(directory or Path(app.instance_path) / "backups")
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(str(archive))

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(archive):
        """Bring a backup back into this instance's empty database and photo store."""
        from app.backup import BackupError, restore_backup

        try:
            manifest = restore_backup(archive)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest["rows"].values())
        click.echo(f"Restored the backup of {manifest['created_at']}: {rows} rows.")

    @app.cli.command("load-standards")
    def load_standards_command():
        """Load or refresh the shipped standards library (matched by check point code)."""
        report = load_default_catalogue()
        if not report.ok:
            for error in report.errors:
                click.echo(f"row {error.row} {error.column}: {error.message}", err=True)
            db.session.rollback()
            raise SystemExit(1)
        db.session.commit()
        click.echo(f"{report.created} check points added, {report.updated} updated.")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", "display_name", required=True, help="The person's full name.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--contractor-id", type=int, default=None)
    @click.password_option()
    def create_user_command(username, display_name, role, contractor_id, password):
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
