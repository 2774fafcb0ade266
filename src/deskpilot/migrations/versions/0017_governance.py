"""governance: versioned replay sets of approved cases and the replay runs that gate AI changes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:40:00

`deskpilot replay build | import` store each version of the replay set with its cases' provenance;
`deskpilot replay run` and `deskpilot models promote` store what the gate compared and concluded;
`ai_switches` holds the kill switch and pilot mode of each AI capability per channel or queue.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'replay_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('provenance', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_replay_sets')),
        sa.UniqueConstraint('version', name=op.f('uq_replay_sets_version')),
    )
    op.create_table(
        'replay_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('triage', 'answer', name='replay_case_kind', native_enum=False, length=32),
                  nullable=False),
        sa.Column('source', sa.Enum('resolved_ticket', 'deflection', 'draft', 'curated', name='replay_case_source',
                                    native_enum=False, length=32), nullable=False),
        sa.Column('source_ref', sa.String(length=200), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('expected', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['set_id'], ['replay_sets.id'], name=op.f('fk_replay_cases_set_id_replay_sets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_replay_cases')),
    )
    op.create_index(op.f('ix_replay_cases_set_id'), 'replay_cases', ['set_id'], unique=False)
    op.create_table(
        'replay_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('actor_name', sa.String(length=120), nullable=False),
        sa.Column('component', sa.String(length=60), nullable=False),
        sa.Column('current_version', sa.String(length=40), nullable=True),
        sa.Column('candidate_version', sa.String(length=40), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['set_id'], ['replay_sets.id'], name=op.f('fk_replay_runs_set_id_replay_sets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_replay_runs')),
    )
    op.create_index(op.f('ix_replay_runs_set_id'), 'replay_runs', ['set_id'], unique=False)
    op.create_index(op.f('ix_replay_runs_created_at'), 'replay_runs', ['created_at'], unique=False)
    op.create_table(
        'ai_switches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('capability', sa.Enum('triage_auto_apply', 'chat_deflection', 'self_service_actions', 'email_drafts',
                                        name='ai_capability', native_enum=False, length=32), nullable=False),
        sa.Column('scope', sa.String(length=140), nullable=False),
        sa.Column('mode', sa.Enum('off', 'shadow', 'suggest', 'auto', name='ai_mode', native_enum=False, length=32),
                  nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('changed_by', sa.String(length=120), nullable=False),
        sa.Column('changed_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_switches')),
        sa.UniqueConstraint('capability', 'scope', name=op.f('uq_ai_switches_capability')),
    )


def downgrade() -> None:
    op.drop_table('ai_switches')
    op.drop_index(op.f('ix_replay_runs_created_at'), table_name='replay_runs')
    op.drop_index(op.f('ix_replay_runs_set_id'), table_name='replay_runs')
    op.drop_table('replay_runs')
    op.drop_index(op.f('ix_replay_cases_set_id'), table_name='replay_cases')
    op.drop_table('replay_cases')
    op.drop_table('replay_sets')
