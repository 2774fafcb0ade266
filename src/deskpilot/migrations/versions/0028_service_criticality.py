"""triage: each category (the service a request is about) has a business criticality that priority reads

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 06:10:00

`standard` changes nothing; `high` makes the impact at least medium; `critical` raises it one level (and at
least to medium). Existing categories become `standard`, so no priority changes until an admin sets one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('triage_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'criticality', sa.Enum('standard', 'high', 'critical', name='service_criticality', native_enum=False,
                                   length=32), nullable=False, server_default='standard'))


def downgrade() -> None:
    with op.batch_alter_table('triage_categories', schema=None) as batch_op:
        batch_op.drop_column('criticality')
