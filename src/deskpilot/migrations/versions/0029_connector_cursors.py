"""connectors: the persisted cursor of each ITSM stream and the links from vendor users to desk users

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 06:20:00

An import stores a page's records and the cursor after them in one transaction, so a crash or a 429 storm
repeats a page and never skips one; the links let later pages find the desk account of a vendor user.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'connector_cursors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=64), nullable=False),
        sa.Column('stream', sa.String(length=32), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('updated_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_cursors')),
        sa.UniqueConstraint('connector', 'stream', name=op.f('uq_connector_cursors_connector')),
    )
    op.create_table(
        'connector_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=120), nullable=False),
        sa.Column('local_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_links')),
        sa.UniqueConstraint('connector', 'kind', 'external_id', name=op.f('uq_connector_links_connector')),
    )


def downgrade() -> None:
    op.drop_table('connector_links')
    op.drop_table('connector_cursors')
