"""dazhou_rota_entry: the rota of chief representatives, now Dazhou's own table

Before, the core kept it as rota_entry (core revisions 0001-0004); rows a database holds there
move here with their ids (the core's 0005 left a non-empty rota_entry in place for this).

Revision ID: dazhou_0001
Revises:
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from portal.toolkit import adopt_rows

# revision identifiers, used by Alembic.
revision = 'dazhou_0001'
down_revision = None
branch_labels = ('dazhou',)
depends_on = None


def upgrade():
    op.create_table('dazhou_rota_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('representative', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_dazhou_rota_entry_department_id_department')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_dazhou_rota_entry_jurisdiction_id_jurisdiction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dazhou_rota_entry')),
    sa.UniqueConstraint('jurisdiction_id', 'day', name=op.f('uq_dazhou_rota_entry_jurisdiction_id'))
    )
    adopt_rows('rota_entry', 'dazhou_rota_entry')


def downgrade():
    op.drop_table('dazhou_rota_entry')
