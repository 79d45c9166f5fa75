"""case.submission_id: unique one-time submission id of the public form

Two requests of the same form (a double-click) can never file two cases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:00:00

A unique index rather than a table constraint: the same schema on SQLite and PostgreSQL
without rebuilding the case table on SQLite (PostgreSQL enforces UNIQUE through a unique
index either way). NULLs (staff intake, cases filed before this revision) never collide.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('case', sa.Column('submission_id', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_case_submission_id'), 'case', ['submission_id'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_case_submission_id'), table_name='case')
    op.drop_column('case', 'submission_id')  # SQLite 3.35+ drops a column natively
