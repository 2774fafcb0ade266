"""The KPI dashboard's queries on 1M tickets in PostgreSQL, with and without the analytics indexes.

Creates a throw-away database, migrates it to head, fills it with generate_series (tickets, messages, SLA
pauses, escalation notices, triage and draft decisions, feedback), then times every query the dashboard runs
for the default 30-day period and for a whole year: once after dropping the indexes of migration 0007 (the
baseline) and once with them. Prints a table; the database is dropped at the end unless --keep.

    .venv/bin/python benchmarks/kpi_scale.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deskpilot.analytics import ai_kpis, ticket_kpis
from deskpilot.analytics.drift import drift_report
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.report import email_first_response
from deskpilot.analytics.trends import trends
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine
from deskpilot.migrations import upgrade

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ANALYTICS_INDEXES = {
    "ix_tickets_status_created": "CREATE INDEX ix_tickets_status_created ON tickets (status, created_at)",
    "ix_ticket_messages_ticket_kind": "CREATE INDEX ix_ticket_messages_ticket_kind ON ticket_messages "
                                      "(ticket_id, kind, author_id)",
    "ix_ai_decisions_subject_kind": "CREATE INDEX ix_ai_decisions_subject_kind ON ai_decisions "
                                    "(subject_type, subject_id, kind, id)",
    "ix_ai_decisions_kind_created": "CREATE INDEX ix_ai_decisions_kind_created ON ai_decisions (kind, created_at)",
}

FILL = [
    # People, queues and one 24x7 policy.
    """INSERT INTO users (username, email, full_name, role, password_hash, is_active, is_vip, created_at)
       SELECT 'user' || g, 'user' || g || '@bench.example', 'User ' || g,
              CASE WHEN g <= 20 THEN 'agent' ELSE 'requester' END, 'x', true, false, now()
       FROM generate_series(1, 1000) g""",
    "INSERT INTO queues (name, description) SELECT 'Queue ' || g, '' FROM generate_series(1, 6) g",
    """INSERT INTO business_calendars (name, definition) VALUES ('24x7', '{"timezone": "UTC", "hours": {}}')""",
    """INSERT INTO sla_policies (name, priority, first_response_minutes, resolution_minutes, calendar_id,
                                 near_breach_ratio) SELECT 'P3', 'P3', 60, 1440, id, 0.8 FROM business_calendars""",
    # Tickets over two years; h is a cheap deterministic hash of the row number.
    """INSERT INTO tickets (id, subject, description, status, priority, impact, urgency, category, queue_id,
                           requester_id, assignee_id, channel, sla_policy_id, first_response_due_at,
                           resolution_due_at, first_responded_at, resolved_at, closed_at, sla_state,
                           escalation_level, reopen_count, created_at, updated_at)
       SELECT g, 'Ticket ' || g, 'Something broke', s.status, s.priority, 'medium', 'medium',
              'Category ' || (h % 12), 1 + h % 6, 21 + h % 980, 1 + h % 20,
              (ARRAY['portal', 'email', 'chat', 'api'])[1 + h % 4], 1,
              c + interval '60 minutes', c + interval '1440 minutes',
              CASE WHEN s.done OR h % 3 = 0 THEN c + (h % 180) * interval '1 minute' END,
              CASE WHEN s.done THEN c + (30 + h % 4000) * interval '1 minute' END,
              CASE WHEN s.status = 'closed' THEN c + (4000 + h % 4000) * interval '1 minute' END,
              CASE WHEN h % 17 = 0 THEN 'breached' ELSE 'met' END, CASE WHEN h % 19 = 0 THEN 1 ELSE 0 END,
              CASE WHEN h % 23 = 0 THEN 1 ELSE 0 END, c, c
       FROM (SELECT g, (g * 2654435761) % 4294967291 AS h,
                    :now - (g::float / :n * 730) * interval '1 day' AS c FROM generate_series(1, :n) g) base
       CROSS JOIN LATERAL (SELECT
            CASE WHEN base.c > :now - interval '3 days' AND base.h % 2 = 0 THEN 'open'
                 WHEN base.h % 29 = 0 THEN 'waiting_on_customer'
                 WHEN base.h % 5 = 0 THEN 'resolved' ELSE 'closed' END AS status,
            (ARRAY['P1', 'P2', 'P3', 'P4'])[1 + base.h % 4] AS priority) s0
       CROSS JOIN LATERAL (SELECT s0.status, s0.priority, s0.status IN ('resolved', 'closed') AS done) s""",
    # The requester's message, the agent's reply, and a second reply on a third of the tickets.
    """INSERT INTO ticket_messages (ticket_id, author_id, kind, channel, body, ai_assisted, created_at)
       SELECT id, requester_id, 'public_reply', channel, 'help', false, created_at FROM tickets""",
    """INSERT INTO ticket_messages (ticket_id, author_id, kind, channel, body, ai_assisted, created_at)
       SELECT id, assignee_id, 'public_reply', channel, 'answer', id % 2 = 0, first_responded_at FROM tickets
       WHERE first_responded_at IS NOT NULL""",
    """INSERT INTO ticket_messages (ticket_id, author_id, kind, channel, body, ai_assisted, created_at)
       SELECT id, assignee_id, 'public_reply', channel, 'more', false, first_responded_at + interval '1 hour'
       FROM tickets WHERE id % 3 = 0 AND first_responded_at IS NOT NULL""",
    """INSERT INTO sla_pauses (ticket_id, paused_at, resumed_at)
       SELECT id, created_at + interval '2 hours', created_at + interval '5 hours' FROM tickets WHERE id % 5 = 1""",
    """INSERT INTO escalation_notices (ticket_id, level, trigger, reason, created_at)
       SELECT id, 1, 'near_breach', 'bench', created_at + interval '20 hours' FROM tickets
       WHERE escalation_level > 0""",
    # Intake triage for every ticket, drafts for a third; feedback on some of each.
    """INSERT INTO ai_decisions (kind, subject_type, subject_id, model_version, input_hash, input_redacted, outputs,
                                confidence, abstained, sources, explanation, created_at)
       SELECT 'triage', 'ticket', id::text, 'triage-category:v0001+triage-priority:none', md5(id::text), '',
              json_build_object('category', CASE WHEN id % 7 = 0 THEN 'Category 0' ELSE category END,
                                'priority', priority, 'queue_id', queue_id),
              ((id::bigint * 7919) % 1000) / 1000.0, id % 11 = 0, '[]', '{}', created_at FROM tickets""",
    """INSERT INTO ai_decisions (kind, subject_type, subject_id, model_version, input_hash, input_redacted, outputs,
                                confidence, abstained, sources, explanation, created_at)
       SELECT 'draft', 'ticket', id::text, 'kb-hybrid/bench', md5(id::text), '', '{"text": "draft"}', 0.7,
              false, '[]', '{}', created_at + interval '10 minutes' FROM tickets WHERE id % 3 = 0""",
    """INSERT INTO ai_feedback (decision_id, field, action, suggested_value, final_value, created_at)
       SELECT id, CASE WHEN kind = 'draft' THEN 'reply' ELSE 'category' END,
              (ARRAY['accepted', 'edited', 'rejected', 'overridden'])[1 + id % 4], 'a', 'b',
              created_at + interval '30 minutes' FROM ai_decisions WHERE id % 5 < 2""",
]


def _timed(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _queries(session: Session, flt: KpiFilter, settings: Settings) -> dict[str, Callable[[], Any]]:
    return {
        "ticket KPIs (FCR, MTTR, SLA)": lambda: ticket_kpis.ticket_kpis(session, flt),
        "backlog and ageing": lambda: ticket_kpis.backlog(session, flt),
        "tickets by queue": lambda: ticket_kpis.by_queue(session, flt),
        "escalations": lambda: ticket_kpis.escalations(session, flt),
        "AI feedback rates": lambda: ai_kpis.feedback_table(session, flt),
        "triage accuracy": lambda: ai_kpis.triage_accuracy(session, flt),
        "drafts used": lambda: ai_kpis.drafts_used(session, flt),
        "trend by day": lambda: trends(session, flt, "day"),
        "trend by week": lambda: trends(session, flt, "week"),
        "e-mail handling time": lambda: email_first_response(session, flt),
        "drift": lambda: drift_report(session, flt, settings),
    }


def _drift_settings(directory: Path) -> Settings:
    version = directory / "models" / "triage-category" / "v0001"
    version.mkdir(parents=True)
    profile = {"label_counts": {f"Category {i}": 100 for i in range(12)},
               "cv_confidence_histogram": [10] * 10}
    (version / "metadata.json").write_text(json.dumps(profile), encoding="utf-8")
    (version.parent / "active.json").write_text(json.dumps({"active": "v0001", "history": []}), encoding="utf-8")
    return Settings(environment=Environment.TEST, data_dir=directory)


def _fill(engine: Engine, tickets: int) -> float:
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("SET session_replication_role = replica"))  # no FK triggers while loading
        for statement in FILL:
            connection.execute(text(statement), {"n": tickets, "now": NOW})
        connection.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": tickets})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def _measure(engine: Engine, settings: Settings, repeats: int, timeout_s: int = 60) -> dict[tuple[str, str], float]:
    """Median seconds per (period, query); a query cancelled at `timeout_s` counts as infinite."""
    periods = {"30 days": KpiFilter.of(now=NOW), "365 days": KpiFilter.of(
        now=NOW, first_day=(NOW - timedelta(days=364)).date(), last_day=NOW.date())}
    out = {}
    with Session(engine) as session:
        session.execute(text(f"SET statement_timeout = '{timeout_s}s'"))
        for period, flt in periods.items():
            for name, run in _queries(session, flt, settings).items():
                try:
                    out[(period, name)] = _timed(run, repeats)
                except OperationalError:
                    session.rollback()
                    session.execute(text(f"SET statement_timeout = '{timeout_s}s'"))
                    out[(period, name)] = float("inf")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", default="", help="time an already filled database of this name (no fill)")
    args = parser.parse_args()
    name = args.reuse or f"deskpilot_kpi_bench_{secrets.token_hex(3)}"
    admin = make_engine(f"{args.server}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{args.server}/{name}")
    try:
        fill = 0.0
        if not args.reuse:
            upgrade(f"{args.server}/{name}")
            fill = _fill(engine, args.tickets)
        with engine.connect() as connection:
            rows = {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                    ("tickets", "ticket_messages", "sla_pauses", "ai_decisions", "ai_feedback")}
        print(f"filled in {fill:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
        with tempfile.TemporaryDirectory() as tmp:
            settings = _drift_settings(Path(tmp))
            ours = _measure(engine, settings, args.repeats)
            with engine.begin() as connection:
                for index in ANALYTICS_INDEXES:
                    connection.execute(text(f"DROP INDEX IF EXISTS {index}"))
                connection.execute(text("ANALYZE"))
            baseline = _measure(engine, settings, 1)
            with engine.begin() as connection:
                for statement in ANALYTICS_INDEXES.values():
                    connection.execute(text(statement))
                connection.execute(text("ANALYZE"))
        print(f"\n{'period':<9} {'query':<30} {'without 0007 indexes':>21} {'with them':>10}")
        for (period, query), seconds in ours.items():
            before = baseline[(period, query)]
            shown = "> 60 s (cancelled)" if before == float("inf") else f"{before:.3f} s"
            print(f"{period:<9} {query:<30} {shown:>21} {seconds:>8.3f} s")
        print(f"\nslowest with indexes: {max(ours.values()):.3f} s")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
