"""email: a reused Message-ID with another body is a new mail, kept and linked, not a duplicate

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:25:00

Senders reuse Message-IDs (broken clients, templates, list software). Uniqueness moves from the
Message-ID alone to the Message-ID plus the body digest, and the later mail points at the first one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reuses_message_id_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_inbound_mails_reuses_message_id_of_inbound_mails'),
                                    'inbound_mails', ['reuses_message_id_of'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint('uq_inbound_mails_message_id', type_='unique')
        batch_op.create_unique_constraint('uq_inbound_mails_message_id_body', ['message_id', 'body_sha256'])


def downgrade() -> None:
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.drop_constraint('uq_inbound_mails_message_id_body', type_='unique')
        batch_op.create_unique_constraint('uq_inbound_mails_message_id', ['message_id'])
        batch_op.drop_constraint(batch_op.f('fk_inbound_mails_reuses_message_id_of_inbound_mails'),
                                 type_='foreignkey')
        batch_op.drop_column('reuses_message_id_of')
        batch_op.drop_column('body_sha256')
