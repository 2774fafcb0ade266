"""governance: the answer review queue and the KB change sets approved through the replay gate

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 06:20:00

`ai_reviews` holds the sampled AI answers, drafts and runbook runs with the reviewers' verdicts (they feed the
AI-accuracy KPI, the replay set and the gap report); `kb_change_sets` the KB versions approved together, with
the versions they replaced, so a change set can be rolled back as one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ai_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('answer', 'draft', 'runbook_run', name='ai_review_kind', native_enum=False,
                                  length=32), nullable=False),
        sa.Column('item_ref', sa.Integer(), nullable=False),
        sa.Column('intent', sa.String(length=120), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=True),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('output', sa.Text(), nullable=False),
        sa.Column('article', sa.String(length=120), nullable=True),
        sa.Column('sampled_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('sampled_by', sa.String(length=120), nullable=False),
        sa.Column('verdict', sa.Enum('correct', 'wrong', 'unsafe', name='ai_review_verdict', native_enum=False,
                                     length=32), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=True),
        sa.Column('reviewer_name', sa.String(length=120), nullable=True),
        sa.Column('reviewed_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_ai_reviews_reviewer_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_reviews')),
        sa.UniqueConstraint('kind', 'item_ref', name=op.f('uq_ai_reviews_kind')),
    )
    op.create_index(op.f('ix_ai_reviews_sampled_at'), 'ai_reviews', ['sampled_at'], unique=False)
    op.create_index('ix_ai_reviews_verdict_reviewed', 'ai_reviews', ['verdict', 'reviewed_at'], unique=False)
    op.create_table(
        'kb_change_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('replay_run_id', sa.Integer(), nullable=True),
        sa.Column('override_reason', sa.String(length=500), nullable=True),
        sa.Column('approved_by', sa.String(length=120), nullable=False),
        sa.Column('approved_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('rolled_back_by', sa.String(length=120), nullable=True),
        sa.Column('rolled_back_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['replay_run_id'], ['replay_runs.id'],
                                name=op.f('fk_kb_change_sets_replay_run_id_replay_runs'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_change_sets')),
    )
    op.create_index(op.f('ix_kb_change_sets_approved_at'), 'kb_change_sets', ['approved_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kb_change_sets_approved_at'), table_name='kb_change_sets')
    op.drop_table('kb_change_sets')
    op.drop_index('ix_ai_reviews_verdict_reviewed', table_name='ai_reviews')
    op.drop_index(op.f('ix_ai_reviews_sampled_at'), table_name='ai_reviews')
    op.drop_table('ai_reviews')
