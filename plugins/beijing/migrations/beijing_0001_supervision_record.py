"""beijing_supervision_record: the fault-finding days, now Beijing's own table

Before, the core kept it as supervision_record (core revisions 0001-0004); rows a database
holds there move here with their ids (the core's 0005 left a non-empty table in place for this).

Revision ID: beijing_0001
Revises:
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from portal.toolkit import adopt_rows

# revision identifiers, used by Alembic.
revision = 'beijing_0001'
down_revision = None
branch_labels = ('beijing',)
depends_on = None


def upgrade():
    op.create_table('beijing_supervision_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('windows_checked', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_beijing_supervision_record_jurisdiction_id_jurisdiction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_beijing_supervision_record'))
    )
    op.create_index(op.f('ix_beijing_supervision_record_jurisdiction_id'), 'beijing_supervision_record', ['jurisdiction_id'], unique=False)
    adopt_rows('supervision_record', 'beijing_supervision_record')


def downgrade():
    op.drop_index(op.f('ix_beijing_supervision_record_jurisdiction_id'), table_name='beijing_supervision_record')
    op.drop_table('beijing_supervision_record')
