"""issued document versions

Revision ID: 9c3d5a7e2b10
Revises: 4e2f18c4a816
Create Date: 2026-11-30 20:10:00

A bulletin published before versions were kept has its stored PDF adopted as version 1, with
a code of its own (not printed on that file: it is checked by the file itself).
"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c3d5a7e2b10'
down_revision = '4e2f18c4a816'
branch_labels = None
depends_on = None

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def upgrade():
    versions = op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state_key', sa.Text(), nullable=False),
    sa.Column('state_label', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('addressee', sa.String(length=200), nullable=False),
    sa.Column('dated', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('code', name=op.f('uq_document_versions_code')),
    sa.UniqueConstraint('kind', 'record_id', 'version', name=op.f('uq_document_versions_kind'))
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_versions_digest'), ['digest'], unique=False)

    bulletins = sa.table(
        'bulletins',
        sa.column('id', sa.Integer),
        sa.column('month', sa.String),
        sa.column('status', sa.String),
        sa.column('pdf_digest', sa.String),
        sa.column('published_at', sa.DateTime(timezone=True)),
    )
    published = op.get_bind().execute(
        sa.select(bulletins).where(bulletins.c.status == 'published', bulletins.c.pdf_digest.is_not(None))
    ).all()
    op.bulk_insert(versions, [
        {
            'kind': 'bulletin',
            'record_id': row.id,
            'version': 1,
            'state_key': 'published',
            'state_label': '已发布',
            'code': ''.join(secrets.choice(CODE_ALPHABET) for _ in range(12)),
            'digest': row.pdf_digest,
            'number': f'{row.month} 月度通报',
            'addressee': '各服务单位',
            'dated': row.published_at,
            'made_at': row.published_at,
        }
        for row in published
    ])


def downgrade():
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_versions_digest'))

    op.drop_table('document_versions')
