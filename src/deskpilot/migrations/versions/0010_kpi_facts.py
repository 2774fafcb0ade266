"""analytics: per-ticket KPI facts, decision category and feedback kind columns, and their indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 00:30:00

The KPI dashboard took 4-18 s per query on a million tickets because it counted each ticket's agent
replies and paused time and looked up its first triage decision at report time (docs/benchmarks.md,
"KPI dashboard at scale"). The tickets service now keeps those facts on the ticket row
(deskpilot/tickets/facts.py); this revision adds the columns and computes them for existing rows with the
same definitions the reports used before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose rows the KPI trends and drift group by day or week of creation.
BUCKETED = ('tickets', 'ai_feedback', 'ai_decisions')



def _seconds(end: str, start: str) -> str:
    if op.get_bind().dialect.name == 'postgresql':
        return f'EXTRACT(EPOCH FROM ({end} - {start}))'
    return f'((julianday({end}) - julianday({start})) * 86400.0)'


def _json_text(column: str, key: str) -> str:
    if op.get_bind().dialect.name == 'postgresql':
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key, defaults for NOT NULL) so that SQLite does not rebuild these tables.
    op.add_column('tickets', sa.Column('agent_replies', sa.Integer(), server_default='0', nullable=False))
    op.add_column('tickets', sa.Column('paused_seconds', sa.Float(), server_default='0', nullable=False))
    op.add_column('tickets', sa.Column('intake_triage_id', sa.Integer(), nullable=True))
    op.add_column('tickets', sa.Column('intake_category', sa.String(length=120), nullable=True))
    op.add_column('tickets', sa.Column('intake_queue_id', sa.Integer(), nullable=True))
    op.add_column('tickets', sa.Column('intake_priority', sa.String(length=32), nullable=True))
    op.add_column('tickets', sa.Column('intake_abstained', sa.Boolean(), nullable=True))
    op.add_column('ai_decisions', sa.Column('category', sa.String(length=120), nullable=True))
    op.add_column('ai_feedback', sa.Column('decision_kind', sa.Enum('triage', 'answer', 'draft', 'summary',
                                                                    name='decision_kind', native_enum=False,
                                                                    length=32), nullable=True))
    _backfill()
    # No table refers to ai_feedback, so SQLite may rebuild it to make the column NOT NULL.
    with op.batch_alter_table('ai_feedback', schema=None) as batch_op:
        batch_op.alter_column('decision_kind', existing_type=sa.String(length=32), nullable=False)
    _create_indexes()
    _create_statistics()


def _backfill() -> None:
    """The facts as the reports computed them until now, for every existing row.

    Tickets are written once (each rewrite of a million rows costs a minute in index upkeep): the agent's
    public replies (by a person other than the requester), each pause until it resumed or else until the
    resolution, and what the first (lowest id) triage decision about the ticket suggested.
    """
    outputs = 'facts.outputs'
    op.execute(f"""
        UPDATE tickets SET agent_replies = coalesce(facts.replies, 0), paused_seconds = coalesce(facts.paused, 0),
               intake_triage_id = facts.decision_id, intake_category = {_json_text(outputs, 'category')},
               intake_queue_id = CAST({_json_text(outputs, 'queue_id')} AS INTEGER),
               intake_priority = {_json_text(outputs, 'priority')}, intake_abstained = facts.abstained
        FROM (SELECT t.id, replies.n AS replies, paused.seconds AS paused, d.id AS decision_id, d.outputs,
                     d.abstained
              FROM tickets t
              LEFT JOIN (SELECT m.ticket_id, count(*) AS n FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
                         WHERE m.kind = 'public_reply' AND m.author_id IS NOT NULL AND m.author_id <> t.requester_id
                         GROUP BY m.ticket_id) AS replies ON replies.ticket_id = t.id
              LEFT JOIN (SELECT p.ticket_id,
                                sum({_seconds('coalesce(p.resumed_at, t.resolved_at)', 'p.paused_at')}) AS seconds
                         FROM sla_pauses p JOIN tickets t ON t.id = p.ticket_id
                         GROUP BY p.ticket_id) AS paused ON paused.ticket_id = t.id
              LEFT JOIN (SELECT subject_id, min(id) AS id FROM ai_decisions
                         WHERE subject_type = 'ticket' AND kind = 'triage'
                         GROUP BY subject_id) AS first ON first.subject_id = CAST(t.id AS VARCHAR)
              LEFT JOIN ai_decisions d ON d.id = first.id) AS facts
        WHERE facts.id = tickets.id
          AND (facts.replies IS NOT NULL OR facts.paused IS NOT NULL OR facts.decision_id IS NOT NULL)""")
    category = _json_text('outputs', 'category')
    op.execute(f"UPDATE ai_decisions SET category = {category} WHERE {category} IS NOT NULL")
    op.execute("""
        UPDATE ai_feedback SET decision_kind = d.kind FROM ai_decisions d WHERE d.id = ai_feedback.decision_id""")


def _create_indexes() -> None:
    # Drift: a period of one model's triage decisions, read from the index alone.
    op.create_index('ix_ai_decisions_triage_created', 'ai_decisions',
                    ['created_at', 'model_version', 'category', 'abstained', 'confidence'], unique=False,
                    postgresql_where=sa.text("kind = 'triage'"), sqlite_where=sa.text("kind = 'triage'"))
    # Feedback rates, drafts used and trends: a period of feedback, read from the index alone.
    op.create_index('ix_ai_feedback_created_kind', 'ai_feedback',
                    ['created_at', 'decision_kind', 'action', 'field', 'decision_id'], unique=False)


def _create_statistics() -> None:
    """PostgreSQL: how many days and weeks creation times span, for the trends' and drift's GROUP BY.

    Without them the planner takes every distinct timestamp for a group of its own, expects as many groups as
    rows, and sorts a year of rows on disk instead of hashing a few hundred groups. The expressions are those
    analytics/sql.py groups by (day_start, week_start).
    """
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in BUCKETED:
        op.execute(f"CREATE STATISTICS st_{table}_created_buckets ON (date_trunc('day', created_at AT TIME ZONE "
                   f"'UTC')), (date_trunc('week', created_at AT TIME ZONE 'UTC')) FROM {table}")
        op.execute(f'ANALYZE {table}')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in BUCKETED:
            op.execute(f'DROP STATISTICS IF EXISTS st_{table}_created_buckets')
    op.drop_index('ix_ai_feedback_created_kind', table_name='ai_feedback')
    op.drop_index('ix_ai_decisions_triage_created', table_name='ai_decisions')
    # Plain DROP COLUMN (SQLite 3.35+): rebuilding tickets would trip the foreign keys that point at it.
    op.drop_column('ai_feedback', 'decision_kind')
    op.drop_column('ai_decisions', 'category')
    for column in ('intake_abstained', 'intake_priority', 'intake_queue_id', 'intake_category', 'intake_triage_id',
                   'paused_seconds', 'agent_replies'):
        op.drop_column('tickets', column)
