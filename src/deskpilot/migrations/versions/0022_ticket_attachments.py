"""tickets: attachments on tickets, shown and downloadable; e-mail attachments already on disk linked

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-02 19:45:00

Attachments of filed mails were stored under DATA_DIR/mail/attachments but shown nowhere. Each file on a
ticket (from e-mail, portal, console, chat or API) is now a row pointing at its content-addressed file (a
chat's file has only its conversation until the chat opens a ticket); the
mails filed before this revision get their rows here, internal when the mail landed as an internal note.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0022'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ticket_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('conversation_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('declared_type', sa.String(length=255), nullable=False),
        sa.Column('sniffed_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('channel', sa.Enum('portal', 'chat', 'email', 'api', name='channel', native_enum=False,
                                     length=32), nullable=False),
        sa.Column('internal', sa.Boolean(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_ticket_attachments_conversation_id_conversations'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['message_id'], ['ticket_messages.id'],
                                name=op.f('fk_ticket_attachments_message_id_ticket_messages'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_attachments_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_ticket_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments')),
    )
    op.create_index(op.f('ix_ticket_attachments_ticket_id'), 'ticket_attachments', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_ticket_attachments_conversation_id'), 'ticket_attachments', ['conversation_id'],
                    unique=False)
    _link_filed_mails()


def _link_filed_mails() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT m.ticket_id, m.ticket_message_id, m.attachments, m.received_at, t.kind FROM inbound_mails m "
        "LEFT JOIN ticket_messages t ON t.id = m.ticket_message_id WHERE m.ticket_id IS NOT NULL")).all()
    table = sa.table('ticket_attachments', *(sa.column(c) for c in (
        'ticket_id', 'message_id', 'filename', 'declared_type', 'sniffed_type', 'size', 'sha256', 'path',
        'channel', 'internal', 'uploaded_by_id', 'created_at')))
    values: list[dict[str, Any]] = []
    for ticket_id, message_id, parts, received_at, kind in rows:
        for part in (json.loads(parts) if isinstance(parts, str) else parts) or []:
            if not part.get('stored') or not part.get('path'):
                continue
            values.append({'ticket_id': ticket_id, 'message_id': message_id,
                           'filename': str(part.get('filename') or 'attachment')[:255],
                           'declared_type': str(part.get('content_type') or 'application/octet-stream')[:255],
                           'sniffed_type': 'application/octet-stream', 'size': int(part.get('size') or 0),
                           'sha256': str(part.get('sha256') or ''), 'path': f"mail/{part['path']}",
                           'channel': 'email', 'internal': kind == 'internal_note', 'uploaded_by_id': None,
                           'created_at': received_at})
    if values:
        op.bulk_insert(table, values)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_attachments_conversation_id'), table_name='ticket_attachments')
    op.drop_index(op.f('ix_ticket_attachments_ticket_id'), table_name='ticket_attachments')
    op.drop_table('ticket_attachments')
