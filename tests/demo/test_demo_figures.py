"""The demo history gives the dashboard believable figures: FCR, reopenings, deflection, drafts and ROI in
the ranges a real desk shows (ranges, not exact values: the story is seeded, the period moves with the clock).

Both tests read the demo loaded once per test session (`demo_session`, tests/conftest.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.analytics.service import get_report
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation
from deskpilot.demo.loader import load_demo


def test_the_demo_history_gives_plausible_dashboard_figures(demo_session: Session) -> None:
    report = get_report(demo_session, actor=Principal.system("lead"), settings=Settings())

    def value(key: str) -> float:
        figure = report.figure(key).value
        assert figure is not None, key
        return float(figure)

    assert 0.6 <= value("first_contact_resolution") <= 0.8
    assert 0.02 <= value("reopen_rate") <= 0.15
    assert value("conversations") >= 30
    assert 0.2 <= value("deflection_rate") <= 0.45
    assert 0.2 <= value("handoff_rate") <= 0.7
    assert value("agent_minutes_saved") > 0
    assert 0.0 < value("roi") < 3.0
    assert 0.5 <= value("ai_acceptance_rate") <= 0.95


def test_loading_the_demo_twice_keeps_one_history_of_chats(demo_session: Session) -> None:
    first = demo_session.scalar(select(func.count()).select_from(Conversation))
    assert first is not None and first >= 30  # the first load's history
    load_demo(demo_session)
    assert demo_session.scalar(select(func.count()).select_from(Conversation)) == first
