"""case_deadline: an index on (active, due_at) for the overdue sweep

With several clocks per case the sweep selects running deadline rows past their due moment
from case_deadline, which keeps every row ever written; the index spares it a full scan.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:10:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.create_index('ix_case_deadline_active_due_at', ['active', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_case_deadline_active_due_at')
