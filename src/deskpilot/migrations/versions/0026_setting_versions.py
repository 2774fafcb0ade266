"""governance: settings an administrator overrides in the browser, versioned

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'setting_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('value', sa.JSON(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('changed_by', sa.String(length=120), nullable=False),
        sa.Column('changed_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_versions')),
        sa.UniqueConstraint('name', 'version', name=op.f('uq_setting_versions_name')),
    )
    op.create_index(op.f('ix_setting_versions_name'), 'setting_versions', ['name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_setting_versions_name'), table_name='setting_versions')
    op.drop_table('setting_versions')
