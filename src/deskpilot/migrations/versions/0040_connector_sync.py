"""connectors: two-way sync links, their synced comments and the conflicts the rules resolved

Revision ID: 0040
Revises: 0037
Create Date: 2026-12-03 12:30:00

A link keeps each side's last-synced value of every synced field (and a version per field), so a change on either
side is seen as a difference from that side's own base and the sync's own writes are never read back as changes;
a comment row per comment present on both sides makes the merge of the threads append-only and duplicate-free; a
conflict row keeps each value the rules did not keep, for the agents.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0040'
down_revision: str | None = '0039'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'connector_sync_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=64), nullable=False),
        sa.Column('external_id', sa.String(length=120), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('desk', sa.JSON(), nullable=False),
        sa.Column('itsm', sa.JSON(), nullable=False),
        sa.Column('versions', sa.JSON(), nullable=False),
        sa.Column('pending', sa.JSON(), nullable=False),
        sa.Column('synced_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_connector_sync_links_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_sync_links')),
        sa.UniqueConstraint('connector', 'external_id', name=op.f('uq_connector_sync_links_connector')),
        sa.UniqueConstraint('ticket_id', name=op.f('uq_connector_sync_links_ticket_id')),
    )
    op.create_table(
        'connector_sync_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('external_id', sa.String(length=120), nullable=True),
        sa.Column('direction', sa.Enum('in', 'out', name='sync_direction', native_enum=False, length=32),
                  nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['connector_sync_links.id'],
                                name=op.f('fk_connector_sync_comments_link_id_connector_sync_links'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['ticket_messages.id'],
                                name=op.f('fk_connector_sync_comments_message_id_ticket_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_sync_comments')),
        sa.UniqueConstraint('link_id', 'external_id', name=op.f('uq_connector_sync_comments_link_id')),
        sa.UniqueConstraint('message_id', name=op.f('uq_connector_sync_comments_message_id')),
    )
    op.create_index(op.f('ix_connector_sync_comments_link_id'), 'connector_sync_comments', ['link_id'],
                    unique=False)
    op.create_table(
        'connector_sync_conflicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('kept', sa.String(length=200), nullable=True),
        sa.Column('lost', sa.String(length=200), nullable=True),
        sa.Column('lost_side', sa.Enum('deskpilot', 'itsm', name='sync_side', native_enum=False, length=32),
                  nullable=False),
        sa.Column('rule', sa.Enum('owner', 'no_regression', name='sync_rule', native_enum=False, length=32),
                  nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['connector_sync_links.id'],
                                name=op.f('fk_connector_sync_conflicts_link_id_connector_sync_links'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_sync_conflicts')),
    )
    op.create_index(op.f('ix_connector_sync_conflicts_link_id'), 'connector_sync_conflicts', ['link_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_connector_sync_conflicts_link_id'), table_name='connector_sync_conflicts')
    op.drop_table('connector_sync_conflicts')
    op.drop_index(op.f('ix_connector_sync_comments_link_id'), table_name='connector_sync_comments')
    op.drop_table('connector_sync_comments')
    op.drop_table('connector_sync_links')
