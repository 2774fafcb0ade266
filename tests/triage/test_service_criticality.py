"""Service criticality and VIP requesters as priority signals: on the signals, and through the triage use case
on a real database, with the reason the agent sees."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.decisions_models import AiDecision
from deskpilot.tickets.enums import Level, Priority
from deskpilot.triage import categories
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.models import Criticality, TriageCategory
from deskpilot.triage.service import triage_request
from deskpilot.triage.signals import ImpactUrgency, suggest_priority, with_service_criticality
from deskpilot.triage.taxonomy_schemas import CategoryUpdate
from tests.factories import SYSTEM, make_desk
from tests.triage.conftest import seed_categories

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW
VPN_BLOCKED = "The VPN will not connect from home, GlobalProtect says gateway not reachable, I cannot work"


@pytest.mark.parametrize(
    ("impact", "criticality", "expected"),
    [(L, Criticality.STANDARD, L), (M, Criticality.STANDARD, M), (L, Criticality.HIGH, M),
     (M, Criticality.HIGH, M), (H, Criticality.HIGH, H), (L, Criticality.CRITICAL, M),
     (M, Criticality.CRITICAL, H), (H, Criticality.CRITICAL, H)],
)
def test_criticality_raises_the_impact_and_says_so(impact: Level, criticality: Criticality,
                                                   expected: Level) -> None:
    signals = ImpactUrgency(impact=impact, urgency=H, reasons=["requester cannot work: 'cannot work'"])
    raised = with_service_criticality(signals, service="Network & VPN", criticality=criticality)
    assert raised.impact is expected and raised.urgency is H
    if criticality is Criticality.STANDARD:
        assert raised is signals
    else:
        assert raised.reasons == [*signals.reasons, f"{criticality.value}-criticality service: Network & VPN"]


def test_a_critical_service_one_person_cannot_work_on_is_p2() -> None:
    signals = ImpactUrgency(impact=L, urgency=H)
    assert suggest_priority(signals) is Priority.P3
    assert suggest_priority(with_service_criticality(signals, service="ERP", criticality=Criticality.CRITICAL)) \
        is Priority.P2


def _set(session: Session, name: str, criticality: Criticality) -> None:
    category = session.scalar(select(TriageCategory).where(TriageCategory.name == name))
    assert category is not None
    categories.update(session, actor=SYSTEM, category_id=category.id, data=CategoryUpdate(criticality=criticality))


def test_triage_reads_the_services_criticality_and_the_requesters_vip_flag(session: Session,
                                                                            triage_engine: TriageEngine) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    before = triage_request(session, engine=triage_engine, subject="VPN", body=VPN_BLOCKED,
                            requester_id=desk.alice.id)
    assert before.result.category == "Network & VPN" and not before.result.abstained
    assert (before.result.impact, before.result.urgency, before.result.priority) == (L, H, Priority.P3)
    assert not any("criticality" in r for r in before.result.reasons)

    _set(session, "Network & VPN", Criticality.CRITICAL)
    after = triage_request(session, engine=triage_engine, subject="VPN", body=VPN_BLOCKED,
                           requester_id=desk.alice.id)
    assert (after.result.impact, after.result.priority) == (M, Priority.P2)
    assert "critical-criticality service: Network & VPN" in after.result.reasons
    recorded = session.get(AiDecision, after.decision_id)
    assert recorded is not None and "critical-criticality service: Network & VPN" in recorded.explanation["reasons"]

    desk.bob.is_vip = True
    session.flush()
    vip = triage_request(session, engine=triage_engine, subject="Printer", body="The printer on floor 2 jams",
                         requester_id=desk.bob.id)
    ordinary = triage_request(session, engine=triage_engine, subject="Printer", body="The printer on floor 2 jams",
                              requester_id=desk.alice.id)
    assert "VIP requester" in vip.result.reasons and "VIP requester" not in ordinary.result.reasons
    assert (ordinary.result.urgency, vip.result.urgency) == (L, M)


def test_an_abstained_category_reads_no_criticality(session: Session, triage_engine: TriageEngine) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    for name in ("Network & VPN", "Hardware", "General enquiry"):
        _set(session, name, Criticality.CRITICAL)
    outcome = triage_request(session, engine=triage_engine, subject="", body="asdf qwer zxcv")
    assert outcome.result.abstained and outcome.result.impact is L
    assert not any("criticality" in r for r in outcome.result.reasons)
