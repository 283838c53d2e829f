"""stamped evidence photos: each photo's stamped copy and, when marked up, its unmarked original

Revision ID: 5d2a9c7e1f10
Revises: 8c4b2e6d9a17
Create Date: 2026-12-07 00:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d2a9c7e1f10'
down_revision = '8c4b2e6d9a17'
branch_labels = None
depends_on = None

PHOTO_TABLES = ('inspection_photos', 'fix_photos', 'complaint_photos')


def upgrade():
    for table in PHOTO_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('stamped_digest', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('original_digest', sa.String(length=64), nullable=True))
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_stamped_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('photo_original_digest', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.drop_column('photo_original_digest')
        batch_op.drop_column('photo_stamped_digest')
    for table in reversed(PHOTO_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('original_digest')
            batch_op.drop_column('stamped_digest')
