"""jobs: the dead-letter table of runs whose retries were used up

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:30:00

`deskpilot worker` records here each run of a job that failed for good, with its payload and error, so
an admin sees it (`deskpilot jobs failed`) instead of finding it in a log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'failed_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=120), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('first_attempt_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('failed_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_jobs')),
    )
    op.create_index('ix_failed_jobs_job_failed_at', 'failed_jobs', ['job', 'failed_at'], unique=False)
    op.create_index(op.f('ix_failed_jobs_failed_at'), 'failed_jobs', ['failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_failed_jobs_failed_at'), table_name='failed_jobs')
    op.drop_index('ix_failed_jobs_job_failed_at', table_name='failed_jobs')
    op.drop_table('failed_jobs')
