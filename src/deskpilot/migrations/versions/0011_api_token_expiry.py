"""accounts: API tokens expire

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:30:00

Tokens never expired, so a leaked or forgotten one worked forever. Every token now has an expiry; tokens
that exist already get the default lifetime (90 days) counted from this upgrade, so no integration breaks
the moment the new version is deployed.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('api_tokens', sa.Column('expires_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True))
    expires = datetime.now(UTC) + timedelta(days=90)
    tokens = sa.table('api_tokens', sa.column('expires_at', deskpilot.db.UtcDateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=expires))
    # No table refers to api_tokens, so SQLite may rebuild it to make the column NOT NULL.
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=deskpilot.db.UtcDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
