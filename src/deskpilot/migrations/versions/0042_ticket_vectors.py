"""tickets: ticket vectors, each ticket's triage vector stored once for every process (by model and text hash)

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-03 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0042'
down_revision: str | None = '0041'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ticket_vectors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.String(length=200), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('dimension', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_vectors_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_vectors')),
        sa.UniqueConstraint('ticket_id', 'model_id', name=op.f('uq_ticket_vectors_ticket_id')),
    )
    op.create_index(op.f('ix_ticket_vectors_ticket_id'), 'ticket_vectors', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_vectors_ticket_id'), table_name='ticket_vectors')
    op.drop_table('ticket_vectors')
