"""The command line, `flask --app wsgi ...`: a group per domain, each in its domain's cli.py
(`users`, `standards`, `demo`, `notices`, `org`), and here the commands that run or keep the
installation itself: `worker`, `backup`, `restore` and the `storage` group."""

import copy
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.auth.cli import users_cli
from app.catalog.cli import standards_cli
from app.core.backup import BackupError, restore_backup, write_backup
from app.core.files import copy_files, current_store, open_store
from app.demo.cli import demo_cli
from app.jobs.worker import run_worker, work_once
from app.notices.cli import notices_cli
from app.organisation.cli import org_cli


def register_cli(app: Flask) -> None:
    for group in (users_cli, standards_cli, demo_cli, notices_cli, org_cli, storage_cli):
        app.cli.add_command(group)
    for command in (worker_command, backup_command, restore_command):
        app.cli.add_command(command)
    # the spellings of before the groups, which the README gave and installations' scripts use
    for group, name, old_name in (
        (demo_cli, "seed", "seed-demo"),
        (standards_cli, "load", "load-standards"),
        (users_cli, "create", "create-user"),
    ):
        app.cli.add_command(_hidden_alias(group.commands[name], old_name))


def _hidden_alias(command: click.Command, name: str) -> click.Command:
    """The command under another name, left out of `flask --help`."""
    alias = copy.copy(command)
    alias.name, alias.hidden = name, True
    return alias


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass (jobs due, messages due), then exit.")
@with_appcontext
def worker_command(once):
    """Run the clock (escalation, reminders, missed visits, certificates) and send the
    outbox; stops on SIGTERM or Ctrl-C."""
    if once:
        click.echo(work_once())
    else:
        run_worker()


@click.command("backup")
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the archive (default: instance/backups).",
)
@with_appcontext
def backup_command(directory):
    """Write a consistent backup of the database and the file store."""
    try:
        archive = write_backup(directory or Path(current_app.instance_path) / "backups")
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(archive))


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive):
    """Bring a backup back into this instance's empty database and file store."""
    try:
        manifest = restore_backup(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["rows"].values())
    click.echo(f"Restored the backup of {manifest['created_at']}: {rows} rows.")


storage_cli = AppGroup(
    "storage", help="The file store (photos, documents, bulletins): local folder or object storage."
)


@storage_cli.command("copy")
@click.option("--to", "target_url", required=True, help="s3://bucket/prefix or a folder.")
@click.option("--endpoint", default=None, help="The target's S3 endpoint (default: ours).")
@click.option("--region", default=None, help="The target's S3 region (default: ours).")
@click.option("--addressing", type=click.Choice(["auto", "path", "virtual"]), default=None)
def storage_copy_command(target_url, endpoint, region, addressing):
    """Copy every stored file to another store and verify each checksum; run it again to
    resume. Then point XUNJIAN_STORAGE_URL at the new store."""
    settings = dict(current_app.config)
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
