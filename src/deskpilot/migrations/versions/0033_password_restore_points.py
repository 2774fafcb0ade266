"""accounts: the password hash a reset replaced, kept so that the reset's rollback can restore it

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 09:00:00

Self-service resets of deskpilot's own accounts (no LDAP directory configured) run the password-reset
runbook; its rollback puts the previous hash back, once, while the password is still the one the reset set.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskpilot.db

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'password_restore_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('previous_hash', sa.String(length=200), nullable=True),
        sa.Column('set_hash', sa.String(length=200), nullable=False),
        sa.Column('created_at', deskpilot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('used_at', deskpilot.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_restore_points_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_restore_points')),
    )
    op.create_index(op.f('ix_password_restore_points_user_id'), 'password_restore_points', ['user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_password_restore_points_user_id'), table_name='password_restore_points')
    op.drop_table('password_restore_points')
