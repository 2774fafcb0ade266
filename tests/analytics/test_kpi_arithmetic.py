"""KPI arithmetic on the constructed history of conftest.py, against values computed by hand.

T1 09:00 → reply 09:30 → resolved 13:00 → closed: FCR, 4 h, first reply 0.5 h.
T2 09:00 → reply 10:00 → waiting 10:00–14:00 → reply 15:00 → resolved 17:00: 8 h wall clock, 4 h net, 2 replies.
T3 09:00 → reply 11:00 (first reply 1 h late: SLA breached) → resolved 12:00 → reopened 13:00 → resolved 15:00: 6 h.
T4 09:00 (Network queue, e-mail) never answered: open, both SLA targets overdue at Tue 12:00 (27 h old).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.report import KpiReport, build_report
from deskpilot.clock import utcnow
from deskpilot.config import Environment, Settings
from deskpilot.tickets.enums import Channel
from tests.analytics.conftest import History

DAYS = {"first_day": date(2026, 11, 23), "last_day": date(2026, 11, 24)}


def _report(session: Session, **filters: object) -> KpiReport:
    settings = Settings(environment=Environment.TEST)
    return build_report(session, KpiFilter.of(now=utcnow(), **DAYS, **filters), settings)  # type: ignore[arg-type]


def _value(report: KpiReport, key: str) -> float | None:
    return report.figure(key).value


def test_ticket_kpis_match_the_hand_computed_history(session: Session, history: History) -> None:
    report = _report(session)
    assert _value(report, "tickets_created") == 4  # the merged duplicate does not count
    assert _value(report, "tickets_resolved") == 3
    assert _value(report, "first_contact_resolution") == pytest.approx(1 / 3)
    assert _value(report, "reopen_rate") == pytest.approx(1 / 3)
    assert _value(report, "mttr_gross_hours") == pytest.approx((4 + 8 + 6) / 3)
    assert _value(report, "mttr_hours") == pytest.approx((4 + 4 + 6) / 3)  # T2's 4 h on the customer excluded
    assert _value(report, "first_response_hours") == pytest.approx((0.5 + 1 + 2) / 3)
    assert _value(report, "sla_breach_rate") == pytest.approx(2 / 4)  # T3 replied late, T4 overdue
    assert _value(report, "backlog") == 1
    ageing = dict((row[0], row[1]) for row in report.table("ageing").rows)
    assert ageing == {"under 1 day": 0, "1-3 days": 1, "3-7 days": 0, "7-30 days": 0, "over 30 days": 0}


def test_queue_and_channel_filters_narrow_every_figure(session: Session, history: History) -> None:
    network = _report(session, queue_id=history.desk.network.id)
    assert _value(network, "tickets_created") == 1
    assert _value(network, "tickets_resolved") == 0
    assert _value(network, "first_contact_resolution") is None
    assert _value(network, "sla_breach_rate") == 1.0
    email = _report(session, channel=Channel.EMAIL)
    assert _value(email, "tickets_created") == 1
    assert _value(email, "ai_acceptance_rate") is None  # no feedback on e-mail tickets


def test_ai_feedback_rates_and_triage_accuracy(session: Session, history: History) -> None:
    report = _report(session)
    # accepted: T1 category; edited: T1 draft; rejected or overridden: T2 category, T2 draft.
    assert _value(report, "ai_acceptance_rate") == pytest.approx(1 / 4)
    assert _value(report, "ai_edit_rate") == pytest.approx(1 / 4)
    assert _value(report, "ai_rejection_rate") == pytest.approx(2 / 4)
    # Intake triage (the first decision per ticket; T1's later re-triage is ignored) vs final values.
    assert _value(report, "triage_accuracy_category") == pytest.approx(1 / 2)  # T3 abstained
    assert _value(report, "triage_accuracy_priority") == pytest.approx(2 / 3)  # T2 suggested P2, kept P3
    assert _value(report, "triage_accuracy_queue") == 1.0
    assert _value(report, "triage_abstention_rate") == pytest.approx(1 / 3)
    assert report.table("triage_accuracy_by_category").rows == [("Hardware", 3, 2, 1, 1, 0.5)]


def test_value_model_uses_the_configured_minutes_and_costs(session: Session, history: History) -> None:
    report = _report(session)
    # 1 ticket with triage kept × 2 min + 1 draft sent × 6 min = 8 min; 8 / 60 × 45 = 6.00.
    assert _value(report, "agent_minutes_saved") == 8
    assert _value(report, "value_of_time_saved") == pytest.approx(6.0)
    ai_cost = 400 * 2 / 30.4375
    assert _value(report, "ai_cost") == pytest.approx(ai_cost)
    assert _value(report, "cost_per_ticket") == pytest.approx(((4 * 15 - 8) / 60 * 45 + ai_cost) / 4)
    assert _value(report, "cost_per_ticket_without_ai") == pytest.approx(11.25)
    assert _value(report, "roi") == pytest.approx((6.0 - ai_cost) / ai_cost)
    assert "1 AI drafts sent × 6 min" in report.figure("agent_minutes_saved").formula


def test_daily_trend_has_every_day_and_the_csv_matches(session: Session, history: History) -> None:
    report = _report(session)
    trend = report.table("trend_day")
    assert trend.rows == [("2026-11-23", 4, 3, 2, 4, 1, 0.25), ("2026-11-24", 0, 0, 0, 0, 0, None)]
    assert trend.to_csv().splitlines()[:2] == ["day,created,resolved,sla_breached,ai_feedback,ai_accepted,"
                                               "ai_acceptance_rate", "2026-11-23,4,3,2,4,1,0.25"]
    assert report.table("trend_week").rows[0][:2] == ("2026-11-23", 4)  # 23 Nov 2026 is a Monday
