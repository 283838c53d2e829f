"""invitations

Revision ID: 8c1f6b3d2a47
Revises: 5d7a2c9e4f18
Create Date: 2026-12-06 21:10:00

Accounts get invitation links instead of passwords typed by an administrator; only the
links' hashes are kept. An invitation's e-mail is an event of its own kind. Going down,
queued invitation e-mails are dropped.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c1f6b3d2a47'
down_revision = '5d7a2c9e4f18'
branch_labels = None
depends_on = None

EVENT_KINDS = (
    'notice_issued', 'deadline_near', 'notice_overdue', 'fix_reported', 'fix_rejected',
    'exit_warning', 'complaint_received', 'visit_missed', 'bulletin_published',
    'certificate_expiring',
)


def _event_kinds(kinds):
    for table in ('notify_events', 'email_choices'):
        name = op.f(f'ck_{table}_eventkind')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
            batch_op.create_check_constraint(
                name, f"kind IN ({', '.join(repr(k) for k in kinds)})"
            )


def upgrade():
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('emailed_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_invitations_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('emailed_token_hash', name=op.f('uq_invitations_emailed_token_hash')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_user_id'), ['user_id'], unique=False)
    _event_kinds((*EVENT_KINDS, 'invitation'))


def downgrade():
    events = sa.table('notify_events', sa.column('id', sa.Integer), sa.column('kind', sa.String))
    invitation_events = sa.select(events.c.id).where(events.c.kind == 'invitation')
    for child in ('deliveries', 'notifications'):
        table = sa.table(child, sa.column('event_id', sa.Integer))
        op.execute(table.delete().where(table.c.event_id.in_(invitation_events)))
    op.execute(events.delete().where(events.c.kind == 'invitation'))
    _event_kinds(EVENT_KINDS)

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_user_id'))
    op.drop_table('invitations')
