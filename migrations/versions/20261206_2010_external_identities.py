"""external identities: accounts linked to OIDC, 企业微信, 钉钉 and 飞书

Revision ID: 5d1e7a9c3f20
Revises: 2b8e4f6a1c35
Create Date: 2026-12-06 20:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d1e7a9c3f20'
down_revision = '2b8e4f6a1c35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('external_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.Enum('oidc', 'wecom', 'dingtalk', 'feishu', name='provider', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('display', sa.String(length=200), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_external_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identities')),
    sa.UniqueConstraint('provider', 'subject', name=op.f('uq_external_identities_provider'))
    )
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_identities_user_id'))
    op.drop_table('external_identities')
