"""inspection revisions: a number the database raises at every change to what an
inspection's checklist shows, so that the rendered checklist can be kept until it changes

Revision ID: 3f7a9c2d5e81
Revises: 8c3b6e1f2a47
Create Date: 2026-12-08 00:00:00

The triggers that raise it are app/inspections/revisions.py's, for both databases.
"""
import sqlalchemy as sa
from alembic import op

from app.inspections.revisions import drop_revision_triggers, revision_triggers

# revision identifiers, used by Alembic.
revision = '3f7a9c2d5e81'
down_revision = '8c3b6e1f2a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    for statement in revision_triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_revision_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('revision')
