"""kb: "was this helpful?" answers from the help centre, per article version

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 19:50:00

Readers of the help centre say whether an article helped; the KPI report counts the share that did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kb_article_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_feedback_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_article_feedback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_feedback'))
    )
    with op.batch_alter_table('kb_article_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_article_feedback_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_article_feedback_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kb_article_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_article_feedback_created_at'))
        batch_op.drop_index(batch_op.f('ix_kb_article_feedback_article_id'))
    op.drop_table('kb_article_feedback')
