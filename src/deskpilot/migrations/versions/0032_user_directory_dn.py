"""accounts: the directory entry a user was synced from, so a person who leaves the directory is deactivated

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-03 07:00:00

Only accounts the directory sync made or matched carry a DN; local accounts (the first administrator, service
accounts) are never deactivated for being absent from the directory.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0032'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('users', sa.Column('directory_dn', sa.String(length=500), nullable=True))
    op.create_index('ix_users_directory_dn', 'users', ['directory_dn'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_users_directory_dn', table_name='users')
    op.drop_column('users', 'directory_dn')
