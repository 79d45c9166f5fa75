"""staff_user.must_change_password: a generated or admin-set password is changed at first login

Existing users keep the passwords they have (false); new ones an administrator creates or resets,
or the CLI generates, get true until they choose their own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
