"""contractor administrators

Revision ID: 5d7a2c9e4f18
Revises: 5d1e7a9c3f20
Create Date: 2026-12-06 21:00:00

A contractor may have its own administrator (role contractor_admin), who belongs to its
company as its users do. Going down, contractor administrators become plain users of their
company.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d7a2c9e4f18'
down_revision = '5d1e7a9c3f20'
branch_labels = None
depends_on = None

ROLES = ('inspector', 'manager', 'contractor', 'admin')


def _one_of(values):
    return f"role IN ({', '.join(repr(v) for v in values)})"


def _constraints(roles, contractor_roles):
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_contractor_user_has_contractor'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), _one_of(roles))
        batch_op.create_check_constraint(
            op.f('ck_users_contractor_user_has_contractor'),
            f"({_one_of(contractor_roles)}) = (contractor_id IS NOT NULL)",
        )


def upgrade():
    _constraints((*ROLES, 'contractor_admin'), ('contractor', 'contractor_admin'))


def downgrade():
    users = sa.table('users', sa.column('role', sa.String))
    op.execute(users.update().where(users.c.role == 'contractor_admin').values(role='contractor'))
    _constraints(ROLES, ('contractor',))
