"""xuanwu_case_meeting: joint meetings on a case, now Xuanwu's own table

Before, the core kept it as case_meeting (core revisions 0001-0004); rows a database holds
there move here with their ids (the core's 0005 left a non-empty table in place for this).

Revision ID: xuanwu_0001
Revises:
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from portal.toolkit import adopt_rows

# revision identifiers, used by Alembic.
revision = 'xuanwu_0001'
down_revision = None
branch_labels = ('xuanwu',)
depends_on = None


def upgrade():
    op.create_table('xuanwu_case_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_xuanwu_case_meeting_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xuanwu_case_meeting'))
    )
    op.create_index(op.f('ix_xuanwu_case_meeting_case_id'), 'xuanwu_case_meeting', ['case_id'], unique=False)
    adopt_rows('case_meeting', 'xuanwu_case_meeting')


def downgrade():
    op.drop_index(op.f('ix_xuanwu_case_meeting_case_id'), table_name='xuanwu_case_meeting')
    op.drop_table('xuanwu_case_meeting')
