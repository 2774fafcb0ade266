"""The AI kill switch and pilot modes: shadow records what the AI decided and shows it to nobody, a flip is
audited and mailed to the leads, and a flip in one app process stops deflection in another at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow
from deskpilot.conversations.flow import Assistant
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.governance import pilot, switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.runbooks.mailer import SmtpMailer
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.triage import categories
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.taxonomy_schemas import CategoryCreate
from deskpilot.web.ai_panel import triage_panel
from tests.conversations.conftest import assistant, desk, load_chat_kb  # noqa: F401 - fixtures of these tests
from tests.factories import SYSTEM, Desk
from tests.governance.conftest import demo_rows
from tests.live_server import live_server, server_settings, serving  # noqa: F401 - fixture of these tests
from tests.runbooks.mail_sink import Sink, sink  # noqa: F401 - fixture of these tests
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of these tests

VPN = "My VPN keeps disconnecting"


def test_shadow_mode_records_the_answer_and_shows_it_to_nobody(session: Session, desk: Desk,  # noqa: F811
                                                               assistant: Assistant) -> None:  # noqa: F811
    lena = Principal.of(desk.lena)
    switches.set_mode(session, actor=lena, capability=Capability.CHAT_DEFLECTION, new_mode=AiMode.SHADOW,
                      scope="channel:chat", reason="pilot before go-live")

    conversation, _ = flow.start(session, actor=Principal.of(desk.alice), assistant=assistant, body=VPN)
    session.commit()

    decision = session.scalars(select(AiDecision).where(AiDecision.kind == DecisionKind.ANSWER)).one()
    assert not decision.abstained and decision.sources  # the AI did answer, from an article ...
    assert decision.explanation["governance_mode"] == "shadow"
    seen = " ".join(m.body for m in conversation.messages)
    answer_text = str(decision.outputs["text"])
    assert answer_text[:40] not in seen and "[vpn-" not in seen  # ... that the requester never saw
    assert conversation.ticket_id is not None and f"opened ticket DP-{conversation.ticket_id}" in seen
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None
    on_ticket = ticket.description + " ".join(session.scalars(
        select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id)))
    assert answer_text[:40] not in on_ticket  # nor the agent who takes the ticket


def test_a_flip_is_audited_and_mailed_to_the_leads_and_bad_scopes_are_refused(
        session: Session, desk: Desk, sink: tuple[Sink, int], tmp_path: Path) -> None:  # noqa: F811
    handler, port = sink
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path, mail_smtp_host="127.0.0.1",
                        mail_smtp_port=port)
    adam = Principal.of(desk.adam)
    switches.set_mode(session, actor=adam, capability=Capability.EMAIL_DRAFTS, new_mode=AiMode.OFF,
                      scope="queue:Network", reason="drafts cite a retired article", settings=settings,
                      mailer=SmtpMailer(settings))
    session.commit()

    assert switches.mode(session, Capability.EMAIL_DRAFTS, channel="email", queue="Network") is AiMode.OFF
    assert switches.mode(session, Capability.EMAIL_DRAFTS, channel="email", queue="Service Desk L1") is AiMode.AUTO
    event = audit.get_all(session, action="ai.switch_changed")[0][0]
    assert (event.actor_name, event.before, event.after) == (
        "adam", {"mode": "auto"}, {"mode": "off", "reason": "drafts cite a retired article"})
    mail = handler.mails[-1]
    assert mail["Subject"] == "AI switch: email drafts is off (queue Network)"
    assert "lena@northwind.example" in mail["To"] and "adam@northwind.example" in mail["To"]
    assert "alice@northwind.example" not in mail["To"]
    with pytest.raises(InvalidInput, match="scope 'team:x'"):
        switches.set_mode(session, actor=adam, capability=Capability.EMAIL_DRAFTS, new_mode=AiMode.OFF, scope="team:x")
    with pytest.raises(PermissionDenied):
        switches.set_mode(session, actor=Principal.of(desk.carol), capability=Capability.CHAT_DEFLECTION,
                          new_mode=AiMode.OFF)


def _token(session: Session, user_id: int) -> dict[str, str]:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=user_id, name="test")
    return {"Authorization": f"Bearer {secret}"}


def test_the_kill_switch_stops_deflection_in_a_second_app_process(
        session: Session, desk: Desk, sla_24x7: None, live_server: str, database_url: str,  # noqa: F811
        tmp_path: Path) -> None:
    del sla_24x7
    load_chat_kb(session)
    lena, alice = _token(session, desk.lena.id), _token(session, desk.alice.id)
    session.commit()
    with serving(server_settings(database_url, tmp_path / "second")) as second:
        first_answer = httpx.post(f"{second}/api/v1/conversations", json={"message": VPN}, headers=alice, timeout=60)
        assert any(m["citations"] for m in first_answer.json()["messages"])  # deflection works in process 2

        flipped = httpx.put(f"{live_server}/api/v1/governance/switches", headers=lena, timeout=30,
                            json={"capability": "chat_deflection", "mode": "off", "reason": "wrong VPN answers"})
        assert flipped.status_code == 200 and flipped.json()["changed_by"] == "lena"

        after = httpx.post(f"{second}/api/v1/conversations", json={"message": VPN}, headers=alice, timeout=60)
    body = after.json()
    assert not any(m["citations"] for m in body["messages"])
    assert body["state"] == "ticket_created" and body["ticket_id"] is not None
    listed = httpx.get(f"{live_server}/api/v1/governance/switches", headers=lena, timeout=30).json()
    assert [(s["capability"], s["scope"], s["mode"]) for s in listed] == [("chat_deflection", "*", "off")]


def test_triage_in_shadow_records_its_decision_but_sets_nothing_on_the_ticket(
        session: Session, desk: Desk, model_settings: Settings, ai_runtime: AiRuntime) -> None:  # noqa: F811
    for name in sorted({row.category for row in demo_rows()}):
        categories.create(session, actor=SYSTEM, data=CategoryCreate(name=name, default_queue_id=desk.network.id))
    engine = TriageEngine(model_settings, ai_runtime.embedder)
    row = next(r for r in demo_rows() if r.category == "Hardware")
    data = TicketCreate(subject=row.subject, description=row.description, requester_id=desk.alice.id)

    auto, _ = intake.open_ticket(session, actor=SYSTEM, data=data, settings=model_settings, triage=engine)
    assert (auto.category, auto.queue_id) == ("Hardware", desk.network.id)
    switches.set_mode(session, actor=Principal.of(desk.lena), capability=Capability.TRIAGE_AUTO_APPLY,
                      new_mode=AiMode.SHADOW)
    shadowed, outcome = intake.open_ticket(session, actor=SYSTEM, data=data, settings=model_settings, triage=engine)

    assert (shadowed.category, shadowed.queue_id) == (None, None)
    decision = session.get(AiDecision, outcome.decision_id)
    assert decision is not None and decision.category == "Hardware"
    assert decision.explanation["governance_mode"] == "shadow"
    lena = Principal.of(desk.lena)
    assert triage_panel(session, actor=lena, settings=model_settings, ticket=shadowed) is None  # agents see nothing
    assert triage_panel(session, actor=lena, settings=model_settings, ticket=auto) is not None

    # The pilot report: people filed one as Hardware (agreed), another as Identity & Access (it would have been wrong).
    other, _ = intake.open_ticket(session, actor=SYSTEM, data=data, settings=model_settings, triage=engine)
    for ticket, final in ((shadowed, "Hardware"), (other, "Identity & Access")):
        ticket.category, ticket.status = final, TicketStatus.RESOLVED
    session.commit()
    report = pilot.triage_report(session, actor=Principal.of(desk.lena), settings=model_settings,
                                 since=auto.created_at)
    assert (report.held_back, report.compared, report.agreed, report.agreement) == (2, 2, 1, 0.5)
    assert report.minutes_saved == model_settings.kpi_minutes_saved_per_triage
    assert report.wrong == [(other.id, "Hardware", "Identity & Access")]
