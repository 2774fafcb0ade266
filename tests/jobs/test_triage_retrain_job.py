"""The triage retrain job: a desk without enough history keeps cold start, reported as the outcome."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.db import session_factory
from deskpilot.jobs.base import JobContext
from deskpilot.jobs.triage_retrain import retrain_triage
from deskpilot.runtime import AiRuntime
from tests.factories import make_desk
from tests.triage.conftest import seed_categories


def test_retrain_on_a_desk_without_history_keeps_cold_start(engine: Engine, session: Session,
                                                            ai_runtime: AiRuntime) -> None:
    seed_categories(session, make_desk(session))
    session.commit()
    context = JobContext(settings=ai_runtime.settings, runtime=ai_runtime, sessions=session_factory(engine),
                         idempotency_key="triage.retrain:test")
    outcome = retrain_triage.function(context, {})
    assert outcome.startswith("kept cold start: Training triage-category needs at least two labels")
    assert ai_runtime.triage.models().category is None
