"""check-in location: where the phone was when the inspector scanned the place's QR code

Revision ID: 18c3e899c66f
Revises: 3e7d5a1f9b20
Create Date: 2026-12-07 00:30:00

Inspections started or continued by a scan keep the phone's position at the latest scan that
reported one; older scans have none.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '18c3e899c66f'
down_revision = '3e7d5a1f9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('scan_longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('scan_accuracy_m', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('scan_accuracy_m')
        batch_op.drop_column('scan_longitude')
        batch_op.drop_column('scan_latitude')
