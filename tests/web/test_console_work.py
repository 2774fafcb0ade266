"""Working tickets in the console: filters with any defaults, inline edits that are AI feedback when they override
triage, rejected suggestions shown as rejected, and who the requester is on every ticket."""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.audit.models import AuditEvent
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel
from deskpilot.tickets.models import Ticket, TicketWorkStart
from deskpilot.tickets.schemas import TicketCreate
from tests.factories import Desk, make_queue, make_team, open_ticket
from tests.web.conftest import PageClient


def _triaged_ticket(session: Session, desk: Desk) -> Ticket:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    decisions.record_decision(session, kind=DecisionKind.TRIAGE, model_version="triage/test",
                              input_redacted=ticket.description,
                              outputs={"category": "network", "queue_id": desk.service_desk.id, "priority": "P3"},
                              confidence=0.9, abstained=False, subject_type="ticket", subject_id=ticket.id)
    session.commit()
    return ticket


def _feedback(session: Session) -> dict[str, tuple[FeedbackAction, str | None, str | None]]:
    session.expire_all()
    return {f.field: (f.action, f.suggested_value, f.final_value) for f in session.scalars(select(AiFeedback))}


def test_every_console_filter_combination_with_drop_downs_on_any_answers_200(browser: PageClient, session: Session,
                                                                            desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.network)
    session.commit()
    browser.sign_in("dave")
    choices = {"q": ["", "VPN"], "status": ["", "new"], "queue": ["", str(desk.network.id)], "priority": ["", "P3"],
               "mine": ["", "true"], "sort": ["due", "newest"]}
    for values in itertools.product(*choices.values()):
        query = dict(zip(choices, values, strict=True))
        page = browser.get(f"/console?{urlencode(query)}")
        assert page.status_code == 200, (query, page.text)
        expected = not query["mine"] and query["priority"] in ("", ticket.priority) \
            and query["status"] in ("", ticket.status)
        assert (f'href="/console/tickets/{ticket.id}"' in page.text) == expected, query


def test_an_unknown_console_filter_value_is_refused_with_the_choices(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    page = browser.get("/console?priority=P9&status=")
    assert page.status_code == 422
    assert "P1, P2, P3, P4" in page.text


def test_changing_priority_category_and_queue_inline_overrides_triage_as_feedback(browser: PageClient,
                                                                                   session: Session,
                                                                                   desk: Desk) -> None:
    ticket = _triaged_ticket(session, desk)
    second_line = make_queue(session, "Service Desk L2", desk.carol.teams[0])
    session.commit()
    browser.sign_in("carol")
    answer = browser.post_form(f"/console/tickets/{ticket.id}/fields",
                               {"priority": "P1", "category": "vpn", "queue": str(second_line.id)},
                               from_page=f"/console/tickets/{ticket.id}")
    assert answer.status_code == 303 and answer.headers["location"].endswith("#details"), answer.text
    session.expire_all()
    changed = session.get(Ticket, ticket.id)
    assert changed is not None
    assert (changed.priority, changed.category, changed.queue_id) == ("P1", "vpn", second_line.id)
    assert _feedback(session) == {
        "priority": (FeedbackAction.OVERRIDDEN, "P3", "P1"), "category": (FeedbackAction.OVERRIDDEN, "network", "vpn"),
        "queue": (FeedbackAction.OVERRIDDEN, str(desk.service_desk.id), str(second_line.id))}
    updates = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.update")).all()
    assert [e.actor_name for e in updates] == ["carol"]
    page = browser.get(f"/console/tickets/{ticket.id}").text
    assert '<option value="P1" selected>' in page and 'value="vpn"' in page


def test_routing_a_ticket_to_another_team_s_queue_returns_the_agent_to_the_console(browser: PageClient,
                                                                                   session: Session,
                                                                                   desk: Desk) -> None:
    ticket = _triaged_ticket(session, desk)
    browser.sign_in("carol")
    answer = browser.post_form(f"/console/tickets/{ticket.id}/fields",
                               {"priority": "P3", "category": "", "queue": str(desk.network.id)},
                               from_page=f"/console/tickets/{ticket.id}")
    assert answer.status_code == 303 and answer.headers["location"] == "/console", answer.text
    session.expire_all()
    assert session.get(Ticket, ticket.id).queue_id == desk.network.id  # type: ignore[union-attr]


def test_saving_inline_details_unchanged_records_nothing(browser: PageClient, session: Session, desk: Desk) -> None:
    ticket = _triaged_ticket(session, desk)
    browser.sign_in("carol")
    answer = browser.post_form(f"/console/tickets/{ticket.id}/fields",
                               {"priority": ticket.priority, "category": "", "queue": str(desk.service_desk.id)},
                               from_page=f"/console/tickets/{ticket.id}")
    assert answer.status_code == 303, answer.text
    assert _feedback(session) == {}
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.update")).all() == []


def test_an_auditor_cannot_change_ticket_details_inline(browser: PageClient, session: Session, desk: Desk) -> None:
    ticket = _triaged_ticket(session, desk)
    browser.sign_in("audrey")
    page = browser.get(f"/console/tickets/{ticket.id}")
    assert page.status_code == 200 and "Save details" not in page.text and 'action="/console/tickets/' not in page.text
    answer = browser.post_form(f"/console/tickets/{ticket.id}/fields", {"priority": "P1", "category": "", "queue": ""},
                               from_page=f"/console/tickets/{ticket.id}")
    assert answer.status_code == 403, answer.text
    session.expire_all()
    assert session.get(Ticket, ticket.id).priority == ticket.priority  # type: ignore[union-attr]


def test_rejecting_a_suggestion_shows_it_rejected_with_the_reason(browser: PageClient, session: Session,
                                                                  desk: Desk) -> None:
    ticket = _triaged_ticket(session, desk)
    browser.sign_in("carol")
    before = browser.get(f"/console/tickets/{ticket.id}").text
    assert "Reject category" in before and "Rejected" not in before
    answer = browser.post_form(f"/console/tickets/{ticket.id}/suggestion",
                               {"field": "category", "action": "reject", "reason": "it is a printer problem"},
                               from_page=f"/console/tickets/{ticket.id}")
    assert answer.status_code == 303 and answer.headers["location"].endswith("#suggest-category"), answer.text
    after = browser.get(f"/console/tickets/{ticket.id}").text
    assert "<strong>Rejected</strong>: “it is a printer problem”" in after
    assert "Reject category" not in after and "Accept category" not in after and "Reject priority" in after


def test_every_console_ticket_shows_the_requester_name_organisation_and_contact(browser: PageClient,
                                                                                session: Session,
                                                                                desk: Desk) -> None:
    finance = make_team(session, "Finance")
    desk.alice.teams.append(finance)
    portal = open_ticket(session, desk, desk.alice)
    chat = tickets.create(session, actor=Principal.of(desk.bob),
                          data=TicketCreate(subject="Printer jams", channel=Channel.CHAT))
    session.commit()
    browser.sign_in("carol")
    for ticket, name, team, email in [(portal, "Alice", "Finance", "alice@northwind.example"),
                                      (chat, "Bob", "No team", "bob@northwind.example")]:
        page = browser.get(f"/console/tickets/{ticket.id}")
        assert page.status_code == 200, page.text
        assert f'<dd id="requester-name">{name}</dd>' in page.text
        assert f'<dd id="requester-organisation">{team}</dd>' in page.text
        assert f'<a href="mailto:{email}">{email}</a>' in page.text


def test_opening_a_ticket_in_the_console_starts_the_agents_clock_once(browser: PageClient, session: Session,
                                                                      desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    browser.sign_in("carol")
    page = browser.get(f"/console/tickets/{ticket.id}")
    assert f'hx-post="/console/tickets/{ticket.id}/opened"' in page.text
    path = f"/console/tickets/{ticket.id}"
    for _ in range(2):
        opened = browser.post_form(f"{path}/opened", {}, from_page=path)
        assert opened.status_code == 204
    session.expire_all()
    starts = session.scalars(select(TicketWorkStart).where(TicketWorkStart.ticket_id == ticket.id)).all()
    assert [s.agent_id for s in starts] == [desk.carol.id]
