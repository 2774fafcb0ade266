"""kb: an article's language and the article it translates; the language of a ticket's requester

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 19:50:00

The assistant answers a question from the article in the requester's language when the KB has a
translation, and tells the requester when it shows the English original; a ticket keeps the language its
requester wrote in, so the agent knows which language to reply in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('translation_of', sa.String(length=120), nullable=True))
    # Plain ADD/DROP COLUMN (SQLite 3.35+): rebuilding tickets would trip the foreign keys that point at it.
    op.add_column('tickets', sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('tickets', 'language')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_column('translation_of')
        batch_op.drop_column('language')
