"""tickets: when an agent opened a ticket to work on it, for the "agent minutes per e-mail" KPI

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 20:10:00

The console records the first time each agent opens a ticket after its last reply; the minutes from there to
the agent's reply, with and without an AI draft, are the handling time buyers compare (4.5 → 1.5 minutes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ticket_work_starts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('started_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_ticket_work_starts_agent_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_work_starts_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_work_starts')),
    )
    op.create_index('ix_ticket_work_starts_ticket_agent', 'ticket_work_starts', ['ticket_id', 'agent_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_work_starts_ticket_agent', table_name='ticket_work_starts')
    op.drop_table('ticket_work_starts')
