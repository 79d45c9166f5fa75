"""xuanwu_case_meeting.lead_department_id: the department that led the joint meeting

Seed 001: "由区行政审批局牵头" — the district administrative approval bureau leads every joint
meeting. The lead is now stored on the meeting; meetings already recorded get the bureau
(department xw-approval of jurisdiction xuanwu) when the database has it, else stay empty.

Revision ID: xuanwu_0002
Revises: xuanwu_0001
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'xuanwu_0002'
down_revision = 'xuanwu_0001'
branch_labels = None
depends_on = None

#: seed 001: the lead of every joint meeting, as plugins/xuanwu/actions.py names it.
FILL_WITH_THE_BUREAU = sa.text(
    "UPDATE xuanwu_case_meeting SET lead_department_id = ("
    " SELECT department.id FROM department JOIN jurisdiction ON jurisdiction.id = department.jurisdiction_id"
    " WHERE department.code = 'xw-approval' AND jurisdiction.code = 'xuanwu')"
    " WHERE lead_department_id IS NULL")


def upgrade():
    with op.batch_alter_table('xuanwu_case_meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_xuanwu_case_meeting_lead_department_id_department'),
                                    'department', ['lead_department_id'], ['id'])
    op.execute(FILL_WITH_THE_BUREAU)


def downgrade():
    with op.batch_alter_table('xuanwu_case_meeting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_xuanwu_case_meeting_lead_department_id_department'),
                                 type_='foreignkey')
        batch_op.drop_column('lead_department_id')
