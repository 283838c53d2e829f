"""published bulletins move into the file store

Their PDFs were kept flat in the instance folder, outside the upload folder that backups
archive; they move to where app/files.py keeps bulletins (named by content, so unchanged).

Revision ID: 5c1f0e7a9d42
Revises: b95866aaf3a3
Create Date: 2026-11-30 15:30:00.000000

"""
from pathlib import Path

from flask import current_app

# revision identifiers, used by Alembic.
revision = '5c1f0e7a9d42'
down_revision = 'b95866aaf3a3'
branch_labels = None
depends_on = None


def _old_folder() -> Path:
    return Path(current_app.instance_path) / "bulletins"


def _new_path(digest: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "bulletins" / digest[:2] / f"{digest}.pdf"


def upgrade():
    for old in sorted(_old_folder().glob("*.pdf")):
        new = _new_path(old.stem)
        new.parent.mkdir(parents=True, exist_ok=True)
        old.replace(new)


def downgrade():
    stored = Path(current_app.config["UPLOAD_DIR"]) / "bulletins"
    for new in sorted(stored.glob("*/*.pdf")):
        _old_folder().mkdir(parents=True, exist_ok=True)
        new.replace(_old_folder() / new.name)
