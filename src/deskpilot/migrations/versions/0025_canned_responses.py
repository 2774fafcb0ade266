"""tickets: canned responses (reply texts with placeholders, desk-wide or per queue)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'canned_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('queue_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_canned_responses_created_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_canned_responses_queue_id_queues'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses')),
    )
    op.create_index(op.f('ix_canned_responses_queue_id'), 'canned_responses', ['queue_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_canned_responses_queue_id'), table_name='canned_responses')
    op.drop_table('canned_responses')
