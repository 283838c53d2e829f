"""Command-line tasks: `flask --app wsgi seed-demo`, `create-user`, `load-standards`,
`worker`, `backup`, `restore`, `storage copy`; `notices` and `org` groups of their own."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from app.auth.models import Role, User
from app.auth.users import create_user
from app.catalog.standards_io import load_default_catalogue
from app.core.extensions import db
from app.core.refusals import Refused


def register_cli(app: Flask) -> None:
    from app.notices.cli import notices_cli
    from app.organisation.cli import org_cli

    app.cli.add_command(notices_cli)
    app.cli.add_command(org_cli)

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
        from app.jobs.worker import run_worker, work_once

        if once:
            click.echo(work_once())
        else:
            run_worker()

    @app.cli.group("storage")
    def storage_group():
        """The file store (photos, documents, bulletins): local folder or object storage."""

    @storage_group.command("copy")
    @click.option("--to", "target_url", required=True, help="s3://bucket/prefix or a folder.")
    @click.option("--endpoint", default=None, help="The target's S3 endpoint (default: ours).")
    @click.option("--region", default=None, help="The target's S3 region (default: ours).")
    @click.option("--addressing", type=click.Choice(["auto", "path", "virtual"]), default=None)
    def storage_copy_command(target_url, endpoint, region, addressing):
        """Copy every stored file to another store and verify each checksum; run it again to
        resume. Then point XUNJIAN_STORAGE_URL at the new store."""
        from app.core.files import copy_files, current_store, open_store

        settings = dict(app.config)
        for key, value in (("S3_ENDPOINT", endpoint), ("S3_REGION", region)):
            if value is not None:
                settings[key] = value
        if addressing:
            settings["S3_ADDRESSING"] = addressing
        try:
            target = open_store(target_url, settings)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--to") from exc
        source = current_store()
        click.echo(f"Copying {source} to {target} ...")
        report = copy_files(source, target)
        click.echo(f"{report.copied} copied, {report.already_there} already there and verified.")
        for failure in report.failed:
            click.echo(f"FAILED {failure}", err=True)
        if report.failed:
            raise click.ClickException(f"{len(report.failed)} files were not copied; run again.")

    @app.cli.command("backup")
    @click.option(
        "--to",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where to write the archive (default: instance/backups).",
    )
    def backup_command(directory):
        """Write a consistent backup of the database and the file store."""
        from app.core.backup import BackupError, write_backup

        try:
            archive = write_backup(directory or Path(app.instance_path) / "backups")
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(str(archive))

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(archive):
        """Bring a backup back into this instance's empty database and file store."""
        from app.core.backup import BackupError, restore_backup

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
