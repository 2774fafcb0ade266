"""connectors: what the overlay did with each ITSM ticket

Revision ID: 0036
Revises: 0032
Create Date: 2026-12-03 09:20:00

One row per ITSM ticket the overlay triaged, committed before its note is written to the ITSM, so a ticket gets
one note however often it comes back; the suggested and kept values turn agents' later changes into feedback.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0036'
down_revision: str | None = '0034'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'connector_overlay_tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=64), nullable=False),
        sa.Column('external_id', sa.String(length=120), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('state', sa.Enum('claimed', 'written', 'shadow', name='overlay_state', native_enum=False,
                                   length=32), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=True),
        sa.Column('note_id', sa.String(length=120), nullable=True),
        sa.Column('suggested', sa.JSON(), nullable=False),
        sa.Column('kept', sa.JSON(), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_overlay_tickets')),
        sa.UniqueConstraint('connector', 'external_id', name=op.f('uq_connector_overlay_tickets_connector')),
    )


def downgrade() -> None:
    op.drop_table('connector_overlay_tickets')
