"""staff workspace: canned replies, audit log by jurisdiction

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_canned_reply_jurisdiction_id_jurisdiction')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_canned_reply_updated_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_reply'))
    )
    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canned_reply_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jurisdiction_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_jurisdiction_id'), ['jurisdiction_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_log_jurisdiction_id_jurisdiction'), 'jurisdiction', ['jurisdiction_id'], ['id'])


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_log_jurisdiction_id_jurisdiction'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_log_jurisdiction_id'))
        batch_op.drop_column('jurisdiction_id')

    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canned_reply_jurisdiction_id'))

    op.drop_table('canned_reply')
