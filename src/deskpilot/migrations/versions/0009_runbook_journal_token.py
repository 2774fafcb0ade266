"""runbooks: journal token of a run, tying the write-ahead journal's entries to the run row

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 23:29:39.191244
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Runs from before the journal keep NULL: they were recorded in the database only.
    with op.batch_alter_table('runbook_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('journal_token', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_runbook_runs_journal_token'), ['journal_token'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('runbook_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runbook_runs_journal_token'))
        batch_op.drop_column('journal_token')
