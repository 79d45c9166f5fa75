"""audit_log: security events (client address, refused record's jurisdiction) and filter indexes

Security events (logins, logouts, refused access, downloads, views of personal data) join the
administrative actions in audit_log; an administrator filters them by action, actor, date and
address, so those columns are indexed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_jurisdiction_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ip', sa.String(length=45), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_audit_log_target_jurisdiction_id_jurisdiction'),
                                    'jurisdiction', ['target_jurisdiction_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_audit_log_target_jurisdiction_id'), ['target_jurisdiction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
    # the default only filled the rows written before; the model supplies it from now on
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('ip', server_default=None)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))
        batch_op.drop_index(batch_op.f('ix_audit_log_ip'))
        batch_op.drop_index(batch_op.f('ix_audit_log_target_jurisdiction_id'))
        batch_op.drop_constraint(batch_op.f('fk_audit_log_target_jurisdiction_id_jurisdiction'), type_='foreignkey')
        batch_op.drop_column('ip')
        batch_op.drop_column('target_jurisdiction_id')
