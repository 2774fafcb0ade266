"""Triage on the first day: the demo desk with its taxonomy and KB but no learned model routes ordinary IT
requests right, says why, prioritises what the requester states, and learns from a correction at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.report import build_report
from deskpilot.clock import utcnow
from deskpilot.demo.loader import load_demo
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.enums import Level, Priority
from deskpilot.tickets.schemas import TicketCreate, TicketUpdate
from deskpilot.triage import corrections
from deskpilot.triage.engine import COLD_START
from deskpilot.triage.models import CorrectedExample
from deskpilot.triage.service import triage_request
from deskpilot.triage.training import Examples, TrainedVersion, cold_start_accuracy, learned_beats_cold_start
from tests.factories import make_desk


def test_issue_examples_are_routed_and_prioritised_without_any_history(session: Session,
                                                                       ai_runtime: AiRuntime) -> None:
    load_demo(session, with_history=False)
    engine = ai_runtime.triage
    vpn = triage_request(session, engine=engine, subject="", body="My VPN won't connect")
    assert (vpn.result.category, vpn.queue, vpn.result.abstained) == ("Network & VPN", "Network", False)
    assert vpn.model_version.startswith(COLD_START)
    assert any("cold start" in reason for reason in vpn.result.reasons)
    assert any(term.startswith("closest:") for term in vpn.result.top_terms)
    outlook = triage_request(session, engine=engine, subject="Outlook",
                             body="Outlook crashes every time I start it, I've restarted the laptop twice already")
    assert outlook.result.category == "E-mail & Collaboration" and not outlook.result.abstained
    outage = triage_request(session, engine=engine, subject="",
                            body="the whole Berlin office cannot connect to the VPN, nobody can work")
    assert outage.result.category == "Network & VPN" and outage.result.priority is Priority.P1
    stated = triage_request(session, engine=engine, subject="Printer", body="The printer does not print",
                            stated_impact=Level.HIGH, stated_urgency=Level.HIGH)
    assert stated.result.priority is Priority.P1
    assert "requester chose impact high on the form" in stated.result.reasons


def test_an_agents_correction_routes_the_next_similar_request_at_once(session: Session,
                                                                      ai_runtime: AiRuntime) -> None:
    load_demo(session, with_history=False)
    engine, settings = ai_runtime.triage, ai_runtime.settings
    requester = Principal.of(accounts.get_by_username(session, username="anna.keller"))  # type: ignore[arg-type]
    agent = Principal.of(accounts.get_by_username(session, username="lukas.schmidt"))  # type: ignore[arg-type]
    text = "The projector in meeting room Elbe shows no picture from my laptop"
    ticket, first = intake.open_ticket(session, actor=requester, settings=settings, triage=engine,
                                       data=TicketCreate(subject="Projector", description=text))
    corrected = "Hardware" if first.result.category != "Hardware" else "E-mail & Collaboration"
    intake.update_ticket(session, actor=agent, ticket_id=ticket.id, data=TicketUpdate(category=corrected))
    [example] = session.scalars(select(CorrectedExample)).all()
    assert example.category == corrected and example.ticket_id == ticket.id and corrections.count(session) == 1
    report = build_report(session, KpiFilter.of(now=utcnow()), settings)
    assert report.figure("triage_corrections_learned").value == 1
    again = triage_request(session, engine=engine, subject="Projector",
                           body="Projector in meeting room Elbe shows no picture from the laptop")
    assert again.result.category == corrected and not again.result.abstained
    assert any("corrected by an agent" in term for term in again.result.top_terms)


def test_what_the_requester_chose_on_the_form_sets_the_priority(session: Session, ai_runtime: AiRuntime) -> None:
    desk = make_desk(session)
    requester = Principal.of(desk.alice)
    many_blocked = TicketCreate(subject="Cannot print", description="The printer does not print",
                                impact=Level.HIGH, urgency=Level.HIGH)
    ticket, outcome = intake.open_ticket(session, actor=requester, data=many_blocked,
                                         settings=ai_runtime.settings, triage=ai_runtime.triage)
    assert ticket.priority == Priority.P1 and outcome.result.priority is Priority.P1
    unstated = TicketCreate(subject="Cannot print", description="The printer does not print")
    ticket, _ = intake.open_ticket(session, actor=requester, data=unstated, settings=ai_runtime.settings,
                                   triage=ai_runtime.triage)
    assert ticket.priority == Priority.P4


def test_the_learned_model_takes_over_only_when_it_beats_cold_start_out_of_fold(session: Session,
                                                                               ai_runtime: AiRuntime) -> None:
    load_demo(session, with_history=False)
    history = Examples(texts=["GlobalProtect keeps disconnecting at home", "Toner is empty on the 2nd floor",
                              "I need the Visio licence", "My surname changed after the wedding"],
                       categories=["Network & VPN", "Printing", "Software & Licences", "Identity & Access"],
                       priorities=["P3", "P4", "P4", "P4"])
    cold = cold_start_accuracy(session, history, embedder=ai_runtime.triage.embedder)
    assert cold is not None and 0.0 <= cold <= 1.0
    notes: list[str] = []
    for learned, promoted in ((cold, False), (min(cold + 0.01, 1.0), cold < 1.0)):
        trained = TrainedVersion("triage-category", "v0001", {"cv_accuracy": learned}, len(history.texts))
        assert learned_beats_cold_start(trained, cold, examples=len(history.texts), progress=notes.append) is promoted
        assert trained.metrics["cold_start_accuracy"] == cold
    assert "does not beat cold start" in notes[0]
