"""plans made from a frequency: a plan may check only its line's points of one frequency,
and a plan may fall due twice a month

Revision ID: 8c3b6e1f2a47
Revises: 5d2f8a3c1e64
Create Date: 2026-12-07 06:10:00

Plans that came before have no frequency and check every point of their line, as before.
Going down, plans twice a month become monthly ones on their first day.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c3b6e1f2a47'
down_revision = '5d2f8a3c1e64'
branch_labels = None
depends_on = None

RECURRENCES = ('daily', 'weekly', 'monthly', 'quarterly', 'half_yearly')
FREQUENCIES = ('daily', 'weekly', 'half_monthly', 'monthly', 'quarterly')


def _recurrences(values):
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inspection_plans_recurrence'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_inspection_plans_recurrence'),
            f"recurrence IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade():
    _recurrences((*RECURRENCES, 'half_monthly'))
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frequency', sa.Enum(*FREQUENCIES, name='frequency', native_enum=False, create_constraint=True, length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_frequency'), type_='check')
        batch_op.drop_column('frequency')
    plans = sa.table('inspection_plans', sa.column('recurrence', sa.String))
    op.execute(plans.update().where(plans.c.recurrence == 'half_monthly').values(recurrence='monthly'))
    _recurrences(RECURRENCES)
