"""staff_user: session generation, lockout counters, lower-cased usernames; login_throttle

A bumped ``session_generation`` ends every session of the user (logout, deactivation, password
change); ``failed_logins`` and ``locked_until`` lock an account after repeated failures, in the
database so that the lock holds across workers and nodes; ``login_throttle`` does the same for
names without an account, so that a lock does not reveal which names exist.

Usernames become case-insensitive by being stored lower-cased. Existing ones are lower-cased
here; when two differ only in case the upgrade stops and names them, because merging two
accounts is an administrator's decision, not a migration's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _lower_usernames():
    conn = op.get_bind()
    clashes = conn.execute(sa.text(
        "SELECT lower(username), count(*) FROM staff_user GROUP BY lower(username) HAVING count(*) > 1"
    )).all()
    if clashes:
        names = ", ".join(sorted(row[0] for row in clashes))
        raise RuntimeError(
            "Usernames become case-insensitive, but these exist in more than one spelling: "
            f"{names}. Rename all but one of each in the database (UPDATE staff_user SET username = ...) "
            "and run the upgrade again.")
    conn.execute(sa.text("UPDATE staff_user SET username = lower(username) WHERE username <> lower(username)"))


def upgrade():
    _lower_usernames()
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))

    op.create_table('login_throttle',
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name_key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_updated_at'), ['updated_at'], unique=False)


def downgrade():
    # The lower-cased usernames stay lower-cased: their former spelling is not kept anywhere.
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_updated_at'))
    op.drop_table('login_throttle')

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('session_generation')
