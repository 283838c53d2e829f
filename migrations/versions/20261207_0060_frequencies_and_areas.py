"""frequencies and areas: how often each check point is checked, and each line's TC607 area

Revision ID: 5d2f8a3c1e64
Revises: 7a4e2c91d5b3
Create Date: 2026-12-07 01:00:00

Check points that came before are checked monthly until a manager says otherwise; lines
have no area until one is chosen, so a bureau's own lines stay outside the national areas.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d2f8a3c1e64'
down_revision = '7a4e2c91d5b3'
branch_labels = None
depends_on = None

AREAS = ('customer_service', 'building', 'facilities', 'order', 'cleaning', 'greening', 'meetings')
FREQUENCIES = ('daily', 'weekly', 'half_monthly', 'monthly', 'quarterly')


def upgrade():
    with op.batch_alter_table('service_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.Enum(*AREAS, name='area', native_enum=False, create_constraint=True, length=20), nullable=True))
    with op.batch_alter_table('check_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frequency', sa.Enum(*FREQUENCIES, name='frequency', native_enum=False, create_constraint=True, length=20), server_default='monthly', nullable=False))


def downgrade():
    with op.batch_alter_table('check_points', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_check_points_frequency'), type_='check')
        batch_op.drop_column('frequency')
    with op.batch_alter_table('service_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_service_lines_area'), type_='check')
        batch_op.drop_column('area')
