"""The answer review queue: a stratified sample of the AI's answers, verdicts from reviewers (audited) that move
the AI-accuracy KPI, land wrong answers in the gap report and become approved and negative replay cases; the same
over HTTP for reviewers only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.analytics import service as analytics
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision, DecisionKind
from deskpilot.clock import utcnow
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.governance import gate, replay_sets, reviews
from deskpilot.governance.models import CaseSource, ReviewKind, Verdict
from deskpilot.kb.models import KbGapQuestion
from deskpilot.runtime import AiRuntime
from tests.api.conftest import Clients, clients  # noqa: F401 - fixture of these tests
from tests.factories import Desk
from tests.governance.kb_fixtures import CASES, chat_answer, gate_parts
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of these tests

QUESTIONS = [q for q, _ in CASES] + ["The VPN client says the gateway is unreachable", "How do I reset my password?"]


def _answered(session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> list[AiDecision]:  # noqa: F811
    parts = gate_parts(session, ai_runtime, tmp_path)
    for question in QUESTIONS:
        chat_answer(session, parts, desk, question)
    session.commit()
    return list(session.scalars(select(AiDecision).where(AiDecision.kind == DecisionKind.ANSWER,
                                                         AiDecision.abstained.is_(False))))


def _gaps(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(KbGapQuestion)) or 0


def test_verdicts_move_the_ai_accuracy_kpi_feed_the_gap_report_and_the_replay_set(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> None:  # noqa: F811
    answered = _answered(session, desk, ai_runtime, tmp_path)
    lena = Principal.of(desk.lena)
    strata = {(d.sources[0]["slug"], reviews.band(d.confidence)) for d in answered}
    assert len(answered) >= 3

    one_each = reviews.sample(session, actor=lena, since=utcnow().replace(year=2000), per_stratum=1, seed=7)
    assert one_each.strata == len(strata) and len(one_each.added) == len(strata)
    assert {(i.intent, reviews.band(i.confidence)) for i in one_each.added} == strata
    rest = reviews.sample(session, actor=lena, since=utcnow().replace(year=2000), per_stratum=10)
    assert len(one_each.added) + len(rest.added) == len(answered)  # nothing is queued twice
    assert not reviews.sample(session, actor=lena, since=utcnow().replace(year=2000)).added
    with pytest.raises(PermissionDenied):
        reviews.sample(session, actor=Principal.of(desk.carol), since=utcnow())
    session.commit()

    report = analytics.get_report(session, actor=lena, settings=ai_runtime.settings)
    assert report.figure("ai_review_accuracy").value is None
    right, wrong = reviews.get_all(session, actor=lena, pending=True)[:2]
    with pytest.raises(InvalidInput, match="a wrong verdict needs a note"):
        reviews.mark(session, actor=lena, review_id=wrong.id, verdict=Verdict.WRONG)
    gaps = _gaps(session)
    reviews.mark(session, actor=lena, review_id=right.id, verdict=Verdict.CORRECT)
    reviews.mark(session, actor=lena, review_id=wrong.id, verdict=Verdict.WRONG, note="cites the wrong article")
    session.commit()

    report = analytics.get_report(session, actor=lena, settings=ai_runtime.settings)
    accuracy = report.figure("ai_review_accuracy")
    assert (accuracy.value, accuracy.numerator, accuracy.denominator) == (0.5, 1, 2)
    assert report.table("ai_review").rows == [("answer", 1, 1, 0, 0.5)]
    assert _gaps(session) == gaps + 1  # the wrong answer is a question the KB does not answer right
    marked = audit.get_all(session, action="ai.review_marked")[0]
    assert [(e.actor_name, e.after["verdict"] if e.after else None) for e in marked] == [
        ("lena", "wrong"), ("lena", "correct")]

    built = replay_sets.build(session, actor=lena)
    reviewed = {c.source_ref: c.expected for c in built.cases if c.source == CaseSource.REVIEW}
    assert reviewed == {f"review:{right.id}": {"article": right.article},
                        f"review:{wrong.id}": {"wrong_article": wrong.article}}
    negative = next(c for c in gate.answer_cases(built.cases) if c.source_ref == f"review:{wrong.id}")
    assert (negative.wrong_article, negative.intent) == (wrong.article, f"not {wrong.article}")


def test_reviewers_work_the_queue_over_http(session: Session, desk: Desk, ai_runtime: AiRuntime,  # noqa: F811
                                            tmp_path: Path, clients: Clients) -> None:  # noqa: F811
    answered = _answered(session, desk, ai_runtime, tmp_path)
    lena, carol = clients["lena"], clients["carol"]
    assert carol.post("/api/v1/governance/reviews/sample", json={}).status_code == 403

    sampled = lena.post("/api/v1/governance/reviews/sample", json={"days": 1, "per_stratum": 5, "kinds": ["answer"]})
    assert sampled.status_code == 201
    added = sampled.json()["added"]
    assert len(added) == len(answered) and {a["kind"] for a in added} == {ReviewKind.ANSWER.value}
    first = added[0]["id"]
    refused = lena.post(f"/api/v1/governance/reviews/{first}/verdict", json={"verdict": "unsafe"})
    assert refused.status_code == 422 and "needs a note" in refused.json()["message"]
    done = lena.post(f"/api/v1/governance/reviews/{first}/verdict",
                     json={"verdict": "unsafe", "note": "tells people to disable the firewall"})
    assert done.status_code == 200 and done.json()["reviewer_name"] == "lena"
    waiting = lena.get("/api/v1/governance/reviews", params={"pending": "true"}).json()
    assert first not in [w["id"] for w in waiting] and len(waiting) == len(answered) - 1
    kpis = lena.get("/api/v1/analytics/kpis").json()["kpis"]
    unsafe = next(k for k in kpis if k["key"] == "ai_review_unsafe_rate")
    assert (unsafe["value"], unsafe["numerator"], unsafe["denominator"]) == (1.0, 1, 1)
    assert clients["audrey"].get("/api/v1/governance/reviews").status_code == 403
    assert lena.post("/api/v1/governance/reviews/999999/verdict", json={"verdict": "correct"}).status_code == 404
