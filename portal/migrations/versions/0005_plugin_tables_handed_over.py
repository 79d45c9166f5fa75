"""rota_entry, supervision_record, case_meeting handed over to their plugins

Dazhou's rota, Beijing's fault-finding records and Xuanwu's joint meetings are now tables of
those plugins (dazhou_rota_entry, beijing_supervision_record, xuanwu_case_meeting), created
by the plugins' own migrations. The core drops its old table only when it is empty; a table
that holds rows is left exactly as it is, and the plugin's first revision moves the rows into
its own table (portal.schema.adopt_rows) when the plugin is enabled. The core never deletes
data that belongs to a plugin it may not even have loaded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

HANDED_OVER = ('rota_entry', 'supervision_record', 'case_meeting')


def upgrade():
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for name in HANDED_OVER:
        if name in present and bind.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar() == 0:
            op.drop_table(name)


def downgrade():
    """The old (empty) tables come back where they are missing; adopted rows stay with the plugins."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if 'supervision_record' not in present:
        op.create_table('supervision_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('team', sa.Text(), nullable=False),
        sa.Column('findings', sa.Text(), nullable=False),
        sa.Column('windows_checked', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_supervision_record_jurisdiction_id_jurisdiction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_record'))
        )
        op.create_index(op.f('ix_supervision_record_jurisdiction_id'), 'supervision_record', ['jurisdiction_id'], unique=False)
    if 'rota_entry' not in present:
        op.create_table('rota_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('representative', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_rota_entry_department_id_department')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_rota_entry_jurisdiction_id_jurisdiction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_entry')),
        sa.UniqueConstraint('jurisdiction_id', 'day', name=op.f('uq_rota_entry_jurisdiction_id'))
        )
    if 'case_meeting' not in present:
        op.create_table('case_meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('attendees', sa.Text(), nullable=False),
        sa.Column('decision', sa.Text(), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_meeting_case_id_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_meeting'))
        )
        op.create_index(op.f('ix_case_meeting_case_id'), 'case_meeting', ['case_id'], unique=False)
