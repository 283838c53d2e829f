"""published results: the page of monthly rankings for the compound's staff

Revision ID: 7a4e2c91d5b3
Revises: 18c3e899c66f
Create Date: 2026-12-07 00:50:00

Managers turn on a page that shows each published bulletin's ranking and required measures
to anyone holding its secret link. Off, and without a link, until they first turn it on.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a4e2c91d5b3'
down_revision = '18c3e899c66f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('results_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('token_made_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_page'))
    )


def downgrade():
    op.drop_table('results_page')
