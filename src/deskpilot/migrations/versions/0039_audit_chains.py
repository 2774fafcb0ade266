"""audit: several chains, so audited commits no longer queue behind one chain lock

Revision ID: 0039
Revises: 0037
Create Date: 2026-12-03 12:00:00

Every row gets the number of the chain it was sealed into; `seq` becomes its place in that chain, unique per
chain. The rows already there are chain 0, unchanged: their hashes never covered a chain number and chain 0
is the one chain whose hashes leave it out, so they verify as before. Going back down is refused once a row
was sealed into another chain: one chain cannot hold them without rewriting hashes, which only a tamperer does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0039'
down_revision: str | None = '0038'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_audit_events_seq', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain'), ['chain', 'seq'])


def downgrade() -> None:
    others = op.get_bind().execute(sa.text('SELECT count(*) FROM audit_events WHERE chain <> 0')).scalar_one()
    if others:
        raise RuntimeError(f'{others} audit row(s) were sealed into chains other than 0; one chain cannot hold '
                           'them without rewriting their hashes, so this revision cannot be undone')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_chain', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.drop_column('chain')
