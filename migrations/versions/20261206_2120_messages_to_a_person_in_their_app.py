"""messages to a person in their app: 企业微信 app messages, 钉钉 work notices, 飞书 bot messages

Revision ID: 8c4b2e6d9a17
Revises: 8c1f6b3d2a47
Create Date: 2026-12-06 21:20:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c4b2e6d9a17'
down_revision = '8c1f6b3d2a47'
branch_labels = None
depends_on = None

ROBOTS = ('email', 'wecom', 'dingtalk', 'feishu')
PERSONAL = ('wecom_app', 'dingtalk_app', 'feishu_app')
# the channel columns' CHECK lists the values they take
COLUMNS = (('deliveries', 'channel'), ('robots', 'service'))


def allow(values):
    listed = ", ".join(f"'{value}'" for value in values)
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_channel'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_channel'), f"{column} IN ({listed})")


def upgrade():
    allow(ROBOTS + PERSONAL)


def downgrade():
    op.execute(sa.text(
        "DELETE FROM deliveries WHERE channel IN ('wecom_app', 'dingtalk_app', 'feishu_app')"
    ))
    allow(ROBOTS)
