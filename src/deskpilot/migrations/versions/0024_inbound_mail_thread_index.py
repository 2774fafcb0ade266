"""email: Outlook's conversation (Thread-Index) on inbound mail, to thread replies that drop References

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_index_root', sa.String(length=44), nullable=True))
        batch_op.create_index(batch_op.f('ix_inbound_mails_thread_index_root'), ['thread_index_root'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mails_thread_index_root'))
        batch_op.drop_column('thread_index_root')
