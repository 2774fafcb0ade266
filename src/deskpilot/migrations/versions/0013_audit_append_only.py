"""audit: PostgreSQL refuses UPDATE, DELETE and TRUNCATE of sealed audit rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:30:00

The chain detects tampering; this makes the easy kind impossible for anyone connecting as the app. Rows
with a provisional (negative) seq belong to a transaction that has not sealed them yet and may still be
updated by it. Maintenance that must remove rows (the test suite emptying its database, GDPR erasure
tooling) sets `SET LOCAL deskpilot.audit_maintenance = 'on'` in its own transaction; nothing else does.

The chain is keyed from this revision on (HMAC with a key outside the database). Rows sealed earlier keep
their plain hash: the next commit, or `deskpilot audit checkpoint`, seals a keyed `audit.chain_keyed`
marker whose HMAC covers their head, and `audit verify` accepts unkeyed rows only in front of it.
SQLite has no session settings for maintenance to use, so it gets no trigger.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('deskpilot.audit_maintenance', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit_events is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.seq < 0 THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % of sealed row seq % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    op.execute('CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events '
               'FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()')
    op.execute('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events '
               'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER audit_events_no_truncate ON audit_events')
    op.execute('DROP TRIGGER audit_events_no_update_delete ON audit_events')
    op.execute('DROP FUNCTION audit_events_append_only()')
