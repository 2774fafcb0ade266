"""privacy: erasure requests (two-person approval, progress of the resumable erasure job)

Revision ID: 0037
Revises: 0032
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0037'
down_revision: str | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ('requested', 'approved', 'running', 'done', 'cancelled')


def upgrade() -> None:
    op.create_table(
        'erasure_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='erasure_status', native_enum=False, length=32),
                  nullable=False),
        sa.Column('person', sa.JSON(), nullable=False),
        sa.Column('identifiers', sa.JSON(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_by', sa.Text(), nullable=False),
        sa.Column('requested_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sa.Text(), nullable=True),
        sa.Column('approved_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('done_steps', sa.JSON(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('finished_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_erasure_requests_user_id', 'erasure_requests', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_erasure_requests_user_id', table_name='erasure_requests')
    op.drop_table('erasure_requests')
