"""privacy: seal the message bodies and AI decision inputs stored before encryption at rest

The columns stay TEXT (subjects become TEXT: sealed, they outgrow their length); their values become `enc:v1:<key id>:...` (sealed_storage.py) under the keys outside the
database (DESKPILOT_ENCRYPTION_KEYS or DATA_DIR/keys). Readers accept plain values too, so the desk keeps
working while this runs. Kept files (raw mail, attachments) are sealed by `deskpilot privacy reseal`.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from deskpilot.encryption_keys import SEALED_PREFIX
from deskpilot.sealed_storage import open_text, seal_text

revision: str = '0038'
down_revision: str | None = '0037'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Subjects are sealed too (a chat's is its first message, a handed-off chat's ticket takes it), so they become TEXT.
SUBJECTS = {'tickets': 300, 'conversations': 300, 'inbound_mails': 998, 'outbound_mails': 998}
SEALED = {
    'tickets': ('subject', 'description'),
    'ticket_messages': ('body',),
    'conversations': ('subject', 'csat_comment'),
    'conversation_messages': ('body',),
    'inbound_mails': ('subject', 'body_text'),
    'outbound_mails': ('subject', 'body'),
    'ai_decisions': ('input_redacted',),
    'ai_feedback': ('suggested_value', 'final_value'),
    # Copies of requesters' words kept for the AI: corrected triage examples, gap questions, replay and review cases.
    'triage_corrected_examples': ('text',),
    'kb_gap_questions': ('question',),
    'replay_cases': ('question',),
    'ai_reviews': ('question', 'output'),
}
BATCH = 500


def _convert(change: Callable[[str], str], *, sealed: bool) -> None:
    connection = op.get_bind()
    for name, columns in SEALED.items():
        for column in columns:
            table = sa.table(name, sa.column('id', sa.Integer()), sa.column(column, sa.Text()))
            value = table.c[column]
            chosen = value.like(f'{SEALED_PREFIX}%') if sealed else ~value.like(f'{SEALED_PREFIX}%')
            last = 0
            while rows := connection.execute(
                    sa.select(table.c.id, value).where(table.c.id > last, value != '', chosen)
                    .order_by(table.c.id).limit(BATCH)).all():
                for row_id, text in rows:
                    connection.execute(table.update().where(table.c.id == row_id).values({column: change(text)}))
                last = rows[-1][0]


def upgrade() -> None:
    for name, length in SUBJECTS.items():
        with op.batch_alter_table(name) as batch:
            batch.alter_column('subject', existing_type=sa.String(length=length), type_=sa.Text(),
                               existing_nullable=False)
    _convert(seal_text, sealed=False)


def downgrade() -> None:
    _convert(open_text, sealed=True)
    for name, length in SUBJECTS.items():
        with op.batch_alter_table(name) as batch:
            batch.alter_column('subject', existing_type=sa.Text(), type_=sa.String(length=length),
                               existing_nullable=False)
