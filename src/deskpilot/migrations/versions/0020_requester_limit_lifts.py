"""tickets: lifts of the per-requester hourly limits on new tickets and conversations

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:00:00

One requester opened 305 tickets in 2 minutes: new tickets and conversations are now limited per requester
and hour, and a lead can lift the limit for one requester for a while. Each lift is a row here (and audited).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'requester_limit_lifts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=False),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('lifted_until', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'],
                                name=op.f('fk_requester_limit_lifts_lifted_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['requester_id'], ['users.id'],
                                name=op.f('fk_requester_limit_lifts_requester_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_requester_limit_lifts')),
    )
    op.create_index(op.f('ix_requester_limit_lifts_requester_id'), 'requester_limit_lifts', ['requester_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_requester_limit_lifts_requester_id'), table_name='requester_limit_lifts')
    op.drop_table('requester_limit_lifts')
