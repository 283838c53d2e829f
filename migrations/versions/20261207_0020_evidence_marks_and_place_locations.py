"""evidence marks: photos far from their place, used before, or taken at an odd time

Revision ID: 3e7d5a1f9b20
Revises: 5d2a9c7e1f10
Create Date: 2026-12-07 00:20:00

Places get coordinates; photo rows a perceptual hash, indexed by bands (older photos have
none and are matched by their digest only); fix photos where the phone was; the managers'
evidence rules; the marks.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3e7d5a1f9b20'
down_revision = '5d2a9c7e1f10'
branch_labels = None
depends_on = None

PHOTO_TABLES = ('inspection_photos', 'fix_photos', 'complaint_photos')
MARK_KINDS = (
    'far_from_place', 'reused', 'taken_before_notice', 'taken_long_before_sent', 'not_taken_now',
)


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    for table in PHOTO_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_digest'), ['digest'], unique=False)
    with op.batch_alter_table('fix_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('accuracy_m', sa.Float(), nullable=True))
    op.create_table('evidence_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('presence_radius_m', sa.Integer(), nullable=False),
    sa.Column('exif_gap_hours', sa.Integer(), nullable=False),
    sa.Column('camera_required', sa.Boolean(), nullable=False),
    sa.Column('not_taken_now_minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_policy'))
    )
    op.create_table('evidence_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('photo_kind', sa.String(length=20), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('contractor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum(*MARK_KINDS, name='markkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_evidence_marks_contractor_id_contractors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_marks'))
    )
    with op.batch_alter_table('evidence_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_marks_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_marks_marked_at'), ['marked_at'], unique=False)
        batch_op.create_index('ix_evidence_marks_photo', ['photo_kind', 'photo_id'], unique=False)
    op.create_table('photo_hash_bands',
    sa.Column('photo_kind', sa.String(length=20), nullable=False),
    sa.Column('photo_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('band', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('phash', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('photo_kind', 'photo_id', 'band', name=op.f('pk_photo_hash_bands'))
    )
    with op.batch_alter_table('photo_hash_bands', schema=None) as batch_op:
        batch_op.create_index('ix_photo_hash_bands_band_value', ['band', 'value'], unique=False)


def downgrade():
    op.drop_table('photo_hash_bands')
    op.drop_table('evidence_marks')
    op.drop_table('evidence_policy')
    with op.batch_alter_table('fix_photos', schema=None) as batch_op:
        batch_op.drop_column('accuracy_m')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
    for table in PHOTO_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_digest'))
            batch_op.drop_column('phash')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
