"""example_site_visit: the site visits Example County's coordination officers record

Revision ID: example_0001
Revises:
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'example_0001'
down_revision = None
branch_labels = ('example',)
depends_on = None


def upgrade():
    op.create_table('example_site_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('people_met', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_example_site_visit_case_id_case')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'],
                            name=op.f('fk_example_site_visit_jurisdiction_id_jurisdiction')),
    sa.ForeignKeyConstraint(['officer_id'], ['staff_user.id'], name=op.f('fk_example_site_visit_officer_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_example_site_visit'))
    )
    op.create_index(op.f('ix_example_site_visit_case_id'), 'example_site_visit', ['case_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_example_site_visit_case_id'), table_name='example_site_visit')
    op.drop_table('example_site_visit')
