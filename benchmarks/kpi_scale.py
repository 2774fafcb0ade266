"""The KPI dashboard's queries on 1M tickets in PostgreSQL: as they are, and as they were before migration 0010.

Creates a throw-away database migrated to 0009 (the revision before the per-ticket facts), fills it with
generate_series (tickets, messages, SLA pauses, escalation notices, triage and draft decisions, feedback,
chat conversations), then migrates it to head, which computes the facts of the existing rows (timed). It
then times every query the dashboard runs for the default 30-day period and for a whole year: the product's
queries (median of --repeats), and as the baseline the queries as they were before (benchmarks/kpi_baseline.py:
correlated per-ticket subqueries, JSON reads) without the indexes of 0010, once each, checking that both give
the same figures. Prints a table; the database is dropped at the end unless --keep.

    .venv/bin/python benchmarks/kpi_scale.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import astuple, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Index, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kpi_baseline as before  # noqa: E402 - the benchmark's sibling module

from deskpilot.analytics import ai_kpis, ticket_kpis  # noqa: E402
from deskpilot.analytics.conversation_kpis import conversation_kpis  # noqa: E402
from deskpilot.analytics.drift import drift_report  # noqa: E402
from deskpilot.analytics.filters import KpiFilter  # noqa: E402
from deskpilot.analytics.trends import trends  # noqa: E402
from deskpilot.channels.email.kpis import first_response as email_first_response  # noqa: E402
from deskpilot.config import Environment, Settings  # noqa: E402
from deskpilot.db import make_engine  # noqa: E402
from deskpilot.migrations import upgrade  # noqa: E402
from deskpilot.ml.artifacts import MANIFEST  # noqa: E402
from deskpilot.schema import metadata  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FACTS_REVISION = "0010"
# The indexes migration 0010 added: the baseline runs without them, as the queries ran before.
NEW_INDEXES = ("ix_ai_decisions_triage_created", "ix_ai_feedback_created_kind")

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
    # Chat conversations, one per four tickets: 40 % solved by self-service, 20 % handed off as a ticket (with
    # the hand-off summary decision), 10 % with an agent, 10 % withdrawn, the rest still with the assistant.
    """INSERT INTO conversations (id, requester_id, channel, state, owner_kind, owner_agent_id, ticket_id, subject,
                                 facts, troubleshooting, client, resolution, csat_score, created_at, updated_at,
                                 resolved_at, csat_at)
       SELECT g, 21 + h % 980, CASE WHEN h % 3 = 0 THEN 'portal' ELSE 'chat' END, s.state,
              CASE WHEN s.state IN ('with_human', 'ticket_created') THEN 'human' ELSE 'assistant' END,
              CASE WHEN s.state = 'with_human' THEN 1 + h % 20 END, CASE WHEN s.state = 'ticket_created' THEN 4 * g END,
              'Chat ' || g, '{}', '{}', '{}', s.resolution, CASE WHEN h % 3 = 1 THEN 1 + h % 5 END, c, c,
              CASE WHEN s.resolution IS NOT NULL THEN c + interval '10 minutes' END,
              CASE WHEN h % 3 = 1 THEN c + interval '15 minutes' END
       FROM (SELECT g, (g * 2654435761) % 4294967291 AS h,
                    :now - (g::float / (:n / 4) * 730) * interval '1 day' AS c FROM generate_series(1, :n / 4) g) base
       CROSS JOIN LATERAL (SELECT
            CASE WHEN h % 10 < 4 OR h % 10 = 7 THEN 'resolved' WHEN h % 10 < 6 THEN 'ticket_created'
                 WHEN h % 10 = 6 THEN 'with_human' ELSE 'assistant_answering' END AS state,
            CASE WHEN h % 10 < 4 THEN 'self_service' WHEN h % 10 < 6 THEN 'ticket'
                 WHEN h % 10 = 7 THEN 'withdrawn' END AS resolution) s""",
    # The requester asks (except in one chat in 13, opened and left), the assistant answers (citing an article
    # in six of ten), an agent writes in the chats they own.
    """INSERT INTO conversation_messages (conversation_id, author_kind, author_id, body, ai_assisted, citations,
                                         created_at)
       SELECT id, 'requester', requester_id, 'help', false, '[]', created_at FROM conversations WHERE id % 13 <> 0""",
    """INSERT INTO conversation_messages (conversation_id, author_kind, author_id, body, ai_assisted, citations,
                                         created_at)
       SELECT id, 'assistant', NULL, 'answer', true,
              CASE WHEN id % 10 < 6 THEN '[{"slug": "vpn-connect", "version": 1}]' ELSE '[]' END::json,
              created_at + interval '1 minute' FROM conversations""",
    """INSERT INTO conversation_messages (conversation_id, author_kind, author_id, body, ai_assisted, citations,
                                         created_at)
       SELECT id, 'agent', owner_agent_id, 'hello', false, '[]', created_at + interval '5 minutes'
       FROM conversations WHERE owner_agent_id IS NOT NULL""",
    """INSERT INTO ai_decisions (kind, subject_type, subject_id, model_version, input_hash, input_redacted, outputs,
                                confidence, abstained, sources, explanation, created_at)
       SELECT 'summary', 'conversation', id::text, 'handoff/bench', md5(id::text), '',
              json_build_object('reason_code', (ARRAY['requester_asked', 'no_article', 'answer_did_not_help',
                                                      'steps_exhausted'])[1 + id % 4]),
              1.0, false, '[]', '{}', created_at + interval '10 minutes'
       FROM conversations WHERE state = 'ticket_created'""",
    """INSERT INTO self_service_requests (user_id, status, code_hash, attempts, expires_at, conversation_ref,
                                         created_at)
       SELECT requester_id, 'completed', 'x', 0, created_at + interval '10 minutes', 'conversation:' || id,
              created_at FROM conversations WHERE id % 50 = 7""",
]


def _timed(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


Query = Callable[[Session, KpiFilter, Settings], Any]
QUERIES: dict[str, tuple[Query, Query]] = {
    # name: (the product's query, the query as it was before 0010)
    "ticket KPIs (FCR, MTTR, SLA)": (lambda s, f, _: ticket_kpis.ticket_kpis(s, f),
                                     lambda s, f, _: before.ticket_kpis_before(s, f)),
    "backlog and ageing": (lambda s, f, _: ticket_kpis.backlog(s, f),) * 2,
    "tickets by queue": (lambda s, f, _: ticket_kpis.by_queue(s, f),) * 2,
    "escalations": (lambda s, f, _: ticket_kpis.escalations(s, f),) * 2,
    "AI feedback rates": (lambda s, f, _: ai_kpis.feedback_table(s, f),
                          lambda s, f, _: before.feedback_table_before(s, f)),
    "triage accuracy": (lambda s, f, _: ai_kpis.triage_accuracy(s, f),
                        lambda s, f, _: before.triage_accuracy_before(s, f)),
    "drafts used": (lambda s, f, _: ai_kpis.drafts_used(s, f), lambda s, f, _: before.drafts_used_before(s, f)),
    "trend by day": (lambda s, f, _: trends(s, f, "day"), lambda s, f, _: before.trends_before(s, f, "day")),
    "trend by week": (lambda s, f, _: trends(s, f, "week"), lambda s, f, _: before.trends_before(s, f, "week")),
    "e-mail handling time": (lambda s, f, _: email_first_response(s, f),) * 2,
    "drift": (drift_report, before.drift_before),
    "conversation KPIs": (lambda s, f, _: conversation_kpis(s, f),
                          lambda s, f, _: before.conversation_kpis_before(s, f)),
}


def _drift_settings(directory: Path) -> Settings:
    version = directory / "models" / "triage-category" / "v0001"
    version.mkdir(parents=True)
    profile = {"label_counts": {f"Category {i}": 100 for i in range(12)},
               "cv_confidence_histogram": [10] * 10}
    (version / MANIFEST).write_text(json.dumps(profile), encoding="utf-8")
    (version.parent / "active.json").write_text(json.dumps({"active": "v0001", "history": []}), encoding="utf-8")
    return Settings(environment=Environment.TEST, data_dir=directory)


def _fill(engine: Engine, tickets: int) -> float:
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("SET session_replication_role = replica"))  # no FK triggers while loading
        for statement in FILL:
            connection.execute(text(statement), {"n": tickets, "now": NOW})
        for table in ("tickets", "conversations"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    _vacuum(engine)
    return time.perf_counter() - began


def _vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _same(ours: Any, baseline: Any) -> bool:
    """Whether two results hold the same figures (floats to 1e-9 relative; rows in any order)."""
    if is_dataclass(ours) and is_dataclass(baseline):
        return _same(astuple(ours), astuple(baseline))  # type: ignore[arg-type]
    if isinstance(ours, float) or isinstance(baseline, float):
        return (ours is None and baseline is None) or (
            ours is not None and baseline is not None and math.isclose(ours, baseline, rel_tol=1e-9, abs_tol=1e-9))
    if isinstance(ours, dict) and isinstance(baseline, dict):
        return ours.keys() == baseline.keys() and all(_same(ours[k], baseline[k]) for k in ours)
    if isinstance(ours, list | tuple) and isinstance(baseline, list | tuple):
        if len(ours) != len(baseline):
            return False
        if all(isinstance(row, tuple) for row in (*ours, *baseline)):
            ours, baseline = sorted(ours, key=repr), sorted(baseline, key=repr)
        return all(_same(a, b) for a, b in zip(ours, baseline, strict=True))
    return bool(ours == baseline)


def _periods() -> dict[str, KpiFilter]:
    return {"30 days": KpiFilter.of(now=NOW), "365 days": KpiFilter.of(
        now=NOW, first_day=(NOW - timedelta(days=364)).date(), last_day=NOW.date())}


def _measure(engine: Engine, settings: Settings, repeats: int, which: int, timeout_s: int = 60
             ) -> dict[tuple[str, str], tuple[float, Any]]:
    """(median seconds, result) per (period, query); a query cancelled at `timeout_s` counts as infinite."""
    out: dict[tuple[str, str], tuple[float, Any]] = {}
    with Session(engine) as session:
        session.execute(text(f"SET statement_timeout = '{timeout_s}s'"))
        for period, flt in _periods().items():
            for name, queries in QUERIES.items():
                run = queries[which]
                try:
                    result = run(session, flt, settings)
                    out[(period, name)] = (_timed(lambda: run(session, flt, settings), repeats), result)  # noqa: B023
                except OperationalError:
                    session.rollback()
                    session.execute(text(f"SET statement_timeout = '{timeout_s}s'"))
                    out[(period, name)] = (float("inf"), None)
    return out


def _new_indexes() -> list[Index]:
    return [index for table in metadata.tables.values() for index in table.indexes if index.name in NEW_INDEXES]


def _baseline(engine: Engine, settings: Settings) -> dict[tuple[str, str], tuple[float, Any]]:
    """The queries as they were, without the indexes 0010 added (put back afterwards)."""
    with engine.begin() as connection:
        for index in _new_indexes():
            index.drop(connection)
        connection.execute(text("ANALYZE"))
    try:
        return _measure(engine, settings, 1, which=1)
    finally:
        with engine.begin() as connection:
            for index in _new_indexes():
                index.create(connection)
            connection.execute(text("ANALYZE"))


def _print(ours: dict[tuple[str, str], tuple[float, Any]], baseline: dict[tuple[str, str], tuple[float, Any]]
           ) -> None:
    print(f"\n{'period':<9} {'query':<30} {'before 0010':>19} {'now':>9}  same result")
    totals: dict[str, list[float]] = {}
    for (period, query), (seconds, result) in ours.items():
        was, old_result = baseline[(period, query)]
        shown = "> 60 s (cancelled)" if was == float("inf") else f"{was:.3f} s"
        same = "n/a" if was == float("inf") else ("yes" if _same(result, old_result) else "NO")
        print(f"{period:<9} {query:<30} {shown:>19} {seconds:>7.3f} s  {same}")
        totals.setdefault(period, [0.0, 0.0])
        totals[period][0] += was
        totals[period][1] += seconds
    for period, (was, now) in totals.items():
        print(f"{period:<9} {'the whole dashboard (sum)':<30} {was:>17.3f} s {now:>7.3f} s")
    print(f"\nslowest now: {max(seconds for seconds, _ in ours.values()):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", default="", help="time an already filled and migrated database of this name")
    args = parser.parse_args()
    name = args.reuse or f"deskpilot_kpi_bench_{secrets.token_hex(3)}"
    admin = make_engine(f"{args.server}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{args.server}/{name}")
    print(f"database {name}; load average at the start {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    try:
        if not args.reuse:
            upgrade(f"{args.server}/{name}", f"{FACTS_REVISION}-1")
            fill = _fill(engine, args.tickets)
            began = time.perf_counter()
            upgrade(f"{args.server}/{name}")
            migrated = time.perf_counter() - began
            _vacuum(engine)
            print(f"filled in {fill:.1f} s; migration {FACTS_REVISION} (facts of the existing rows, indexes) "
                  f"took {migrated:.1f} s")
        with engine.connect() as connection:
            rows = {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                    ("tickets", "ticket_messages", "sla_pauses", "ai_decisions", "ai_feedback", "conversations",
                     "conversation_messages")}
        print(", ".join(f"{t} {n:,}" for t, n in rows.items()))
        with tempfile.TemporaryDirectory() as tmp:
            settings = _drift_settings(Path(tmp))
            ours = _measure(engine, settings, args.repeats, which=0)
            baseline = _baseline(engine, settings)
        _print(ours, baseline)
        print(f"load average at the end {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
