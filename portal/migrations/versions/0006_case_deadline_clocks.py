"""case_deadline: named clocks (clock, unit), per-clock pause and overdue flag

Several named deadlines can run on a case at once, each in working days, calendar days or
working hours, paused and flagged on its own.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:45:00

Existing rows keep their meaning: their clock is their stage, their unit working days; a
running row of a paused case is paused since the case's pause, and a running row of a case
the sweep flagged is flagged.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('unit', sa.String(length=20), nullable=False,
                                      server_default='working_days'))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_minutes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('overdue_flagged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute("UPDATE case_deadline SET clock = stage")
    op.execute('UPDATE case_deadline SET paused_at = (SELECT c.paused_at FROM "case" c '
               'WHERE c.id = case_deadline.case_id) WHERE active = true')
    op.execute('UPDATE case_deadline SET overdue_flagged = true WHERE active = true AND case_id IN '
               '(SELECT c.id FROM "case" c WHERE c.overdue_flagged = true)')


def downgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.drop_column('overdue_flagged')
        batch_op.drop_column('paused_minutes')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('unit')
        batch_op.drop_column('clock')
