"""jobs: dead letters an admin can retry or discard, effects done once per run, progress of long runs, and on
PostgreSQL the procrastinate queue's own tables

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-03 09:00:00

On PostgreSQL `deskpilot worker` runs the jobs on procrastinate (docs/jobs-queue.md). Its tables, types and
functions live in their own schema, `procrastinate`, so they are the queue's and not the models': the schema is
procrastinate 3.10's own SQL, applied once here, and dropped with everything in it on downgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

import deskpilot.db

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = 'procrastinate'
PIN_FUNCTIONS = '''
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'procrastinate'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = procrastinate', f.signature);
    END LOOP;
END $$;
'''


def upgrade() -> None:
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'status', sa.Enum('failed', 'retry_requested', 'requeued', 'discarded', name='dead_letter_status',
                              native_enum=False, length=32), nullable=False, server_default='failed'))
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_failed_jobs_status', ['status'], unique=False)
    op.create_table(
        'job_effects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=120), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('step', sa.String(length=120), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('done_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_effects')),
        sa.UniqueConstraint('idempotency_key', 'step', name=op.f('uq_job_effects_idempotency_key')),
    )
    op.create_index(op.f('ix_job_effects_done_at'), 'job_effects', ['done_at'], unique=False)
    op.create_table(
        'job_progress',
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('job', sa.String(length=120), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('updated_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('idempotency_key', name=op.f('pk_job_progress')),
    )
    op.create_index(op.f('ix_job_progress_updated_at'), 'job_progress', ['updated_at'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        driver = bind.connection.driver_connection
        assert driver is not None, 'a PostgreSQL connection always has its psycopg connection'
        driver.execute(f'CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}')
        driver.execute(f'SET LOCAL search_path TO {QUEUE_SCHEMA}')
        driver.execute(SchemaManager.get_schema())
        driver.execute('SET LOCAL search_path TO DEFAULT')
        # Its functions and triggers name its tables unqualified: pin their search path, so that a session on the
        # default path (a clean-up, an operator's psql) that touches a queue table does not fail inside a trigger.
        driver.execute(PIN_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE')
    op.drop_index(op.f('ix_job_progress_updated_at'), table_name='job_progress')
    op.drop_table('job_progress')
    op.drop_index(op.f('ix_job_effects_done_at'), table_name='job_effects')
    op.drop_table('job_effects')
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_failed_jobs_status')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('status')
