"""triage: the desk's taxonomy with examples and versions, and the corrected-examples memory

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:40:00

Categories gain example requests (triage reads them with the description before any history exists);
every taxonomy edit is kept as a numbered version; agents' category corrections are kept as examples
that triage consults at once and the next retrain learns from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('triage_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('examples', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table('triage_taxonomy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=120), nullable=False),
    sa.Column('change', sa.String(length=300), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_triage_taxonomy_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_taxonomy_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_triage_taxonomy_versions_number'))
    )
    op.create_table('triage_corrected_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['users.id'], name=op.f('fk_triage_corrected_examples_corrected_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_triage_corrected_examples_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_corrected_examples'))
    )
    with op.batch_alter_table('triage_corrected_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_corrected_examples_category'), ['category'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('triage_corrected_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_corrected_examples_category'))
    op.drop_table('triage_corrected_examples')
    op.drop_table('triage_taxonomy_versions')
    with op.batch_alter_table('triage_categories', schema=None) as batch_op:
        batch_op.drop_column('examples')
