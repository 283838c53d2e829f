"""notice receipts: signed, confirmed, refused, unreachable

Revision ID: 2b8e4f6a1c35
Revises: 9c3d5a7e2b10
Create Date: 2026-11-30 20:30:00

Notices acknowledged before receipts were kept get one saying they were confirmed by the
user who acknowledged them, at that time (no signature, no address was recorded then).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '2b8e4f6a1c35'
down_revision = '9c3d5a7e2b10'
branch_labels = None
depends_on = None


def upgrade():
    receipts = op.create_table('notice_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('way', sa.Enum('signed', 'confirmed', 'refused', 'unreachable', name='receiptway', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('signature_digest', sa.String(length=64), nullable=True),
    sa.Column('witness', sa.Text(), nullable=False),
    sa.Column('photo_digest', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_receipts_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_notice_receipts_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_receipts')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_notice_receipts_notice_id'))
    )
    notices = sa.table(
        'notices',
        sa.column('id', sa.Integer),
        sa.column('acknowledged_at', sa.DateTime(timezone=True)),
        sa.column('acknowledged_by_id', sa.Integer),
    )
    acknowledged = op.get_bind().execute(
        sa.select(notices).where(notices.c.acknowledged_by_id.is_not(None))
    ).all()
    op.bulk_insert(receipts, [
        {
            'notice_id': row.id,
            'way': 'confirmed',
            'recorded_by_id': row.acknowledged_by_id,
            'recorded_at': row.acknowledged_at,
            'address': '',
            'witness': '',
            'note': '',
        }
        for row in acknowledged
    ])


def downgrade():
    op.drop_table('notice_receipts')
