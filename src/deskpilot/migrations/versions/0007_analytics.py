"""analytics: saved console queue views and the KPI dashboard's indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_queue_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_queue_views_owner_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_queue_views')),
    sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_saved_queue_views_owner_id'))
    )
    op.create_index(op.f('ix_saved_queue_views_owner_id'), 'saved_queue_views', ['owner_id'], unique=False)
    op.create_index('ix_tickets_status_created', 'tickets', ['status', 'created_at'], unique=False)
    op.create_index('ix_ticket_messages_ticket_kind', 'ticket_messages', ['ticket_id', 'kind', 'author_id'],
                    unique=False)
    op.create_index('ix_ai_decisions_subject_kind', 'ai_decisions', ['subject_type', 'subject_id', 'kind', 'id'],
                    unique=False)
    op.create_index('ix_ai_decisions_kind_created', 'ai_decisions', ['kind', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ai_decisions_kind_created', table_name='ai_decisions')
    op.drop_index('ix_ai_decisions_subject_kind', table_name='ai_decisions')
    op.drop_index('ix_ticket_messages_ticket_kind', table_name='ticket_messages')
    op.drop_index('ix_tickets_status_created', table_name='tickets')
    op.drop_index(op.f('ix_saved_queue_views_owner_id'), table_name='saved_queue_views')
    op.drop_table('saved_queue_views')
