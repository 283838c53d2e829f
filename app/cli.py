"""The command line, `flask --app wsgi ...`: a group per domain, each in its domain's cli.py
(`users`, `standards`, `demo`, `notices`, `org`), and here the commands that run or keep the
installation itself: `worker`, `backup`, `restore`, the `storage` group and the `photos`
group, which brings every domain's older evidence photos up to date."""

import copy
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.auth.cli import users_cli
from app.catalog.cli import standards_cli
from app.core.backfill import BATCH_SIZE, backfill
from app.core.backup import BackupError, restore_backup, write_backup
from app.core.files import copy_files, current_store, open_store
from app.core.stamping import StampFontMissing
from app.demo.cli import demo_cli
from app.feedback.backfill import COMPLAINT_PHOTOS
from app.inspections.backfill import INSPECTION_PHOTOS
from app.jobs.worker import run_worker, work_once
from app.notices.backfill import FIX_PHOTOS, RECEIPT_PHOTOS
from app.notices.cli import notices_cli
from app.organisation.cli import org_cli

# Complaints' photos before inspections': an upheld complaint's copies take its stamped copy.
PHOTO_BACKFILLS = (COMPLAINT_PHOTOS, INSPECTION_PHOTOS, FIX_PHOTOS, RECEIPT_PHOTOS)


def register_cli(app: Flask) -> None:
    groups = (users_cli, standards_cli, demo_cli, notices_cli, org_cli, storage_cli, photos_cli)
    for group in groups:
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


photos_cli = AppGroup("photos", help="Evidence photos: those stored by an earlier version.")


@photos_cli.command("backfill")
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 10_000),
    default=BATCH_SIZE,
    show_default=True,
    help="Photos per transaction.",
)
def photos_backfill_command(batch_size):
    """Give the evidence photos stored before stamping and the reuse checks (findings', fixes',
    complaints', those of notices served without signing) their stamped copy, drawn from the
    records, and their perceptual hash, indexed; a transaction per batch, so run it again to
    resume (photos done are left alone). Old photos are not checked against each other and get
    no marks: only photos sent from now on are checked against them. A photo whose file is
    missing from the file store is reported and skipped."""
    for fill in PHOTO_BACKFILLS:
        try:
            counts = backfill(fill, batch_size, _report_missing)
        except StampFontMissing as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"{fill.kind} photos: {counts.stamped} stamped, {counts.hashed} hashed, "
            f"{counts.missing} skipped (file missing)."
        )


def _report_missing(kind: str, row_id: int, digest: str) -> None:
    click.echo(f"MISSING {kind} photo {row_id}: {digest} is not in the file store", err=True)
