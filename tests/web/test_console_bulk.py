"""Bulk actions in the console queue over real HTTP: tick tickets, apply one change, see per-ticket results;
auditors see no controls and may not post them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient, csrf_token


def test_an_agent_ticks_tickets_and_assigns_them_in_one_go(browser: PageClient, session: Session,
                                                           desk: Desk) -> None:
    ids = [open_ticket(session, desk, desk.alice, queue=desk.service_desk).id for _ in range(2)]
    other = open_ticket(session, desk, desk.bob, queue=desk.network).id
    session.commit()
    browser.sign_in("carol")
    page = browser.get("/console?status=new")
    assert 'name="ticket_ids"' in page.text and 'id="select-all"' in page.text
    answer = browser.post("/console/bulk", data={
        "csrf_token": csrf_token(page.text), "query": "status=new", "action": "assign", "assignee": "me",
        "ticket_ids": [str(i) for i in [*ids, other]]})
    assert answer.status_code == 200, answer.text
    assert f"Assigned 2 tickets: DP-{ids[0]}, DP-{ids[1]}." in answer.text
    assert f"DP-{other}</a>: No ticket DP-{other} that you can see." in answer.text
    session.expire_all()
    assert all(session.get(Ticket, i).assignee_id == desk.carol.id for i in ids)  # type: ignore[union-attr]


def test_a_blank_merge_into_keeps_the_oldest_ticked_ticket(browser: PageClient, session: Session, desk: Desk) -> None:
    ids = [open_ticket(session, desk, desk.alice, queue=desk.service_desk).id for _ in range(3)]
    session.commit()
    browser.sign_in("carol")
    answer = browser.post("/console/bulk", data={
        "csrf_token": csrf_token(browser.get("/console").text), "action": "merge", "keep": "",
        "ticket_ids": [str(i) for i in reversed(ids)]})
    assert answer.status_code == 200, answer.text
    assert f"Merged 2 tickets into DP-{ids[0]}: DP-{ids[2]}, DP-{ids[1]}." in answer.text
    session.expire_all()
    assert [session.get(Ticket, i).status for i in ids] == [  # type: ignore[union-attr]
        TicketStatus.NEW, TicketStatus.MERGED, TicketStatus.MERGED]


def test_nothing_ticked_or_a_bad_ticket_number_is_a_clear_422(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    token = csrf_token(browser.get("/console").text)
    nothing = browser.post("/console/bulk", data={"csrf_token": token, "action": "assign", "assignee": "me"})
    assert nothing.status_code == 422 and "Select at least one ticket" in nothing.text
    bad = browser.post("/console/bulk", data={"csrf_token": token, "action": "merge", "keep": "DP-x",
                                              "ticket_ids": ["1"]})
    assert bad.status_code == 422 and "give a ticket as DP-123" in bad.text


def test_an_auditor_sees_no_bulk_controls_and_cannot_post_them(browser: PageClient, session: Session,
                                                               desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk).id
    session.commit()
    browser.sign_in("audrey")
    page = browser.get("/console")
    assert f"DP-{ticket}" in page.text
    assert 'name="ticket_ids"' not in page.text and 'action="/console/bulk"' not in page.text
    answer = browser.post("/console/bulk", data={"csrf_token": csrf_token(page.text), "action": "status",
                                                 "status_to": "resolved", "ticket_ids": [str(ticket)]})
    assert answer.status_code == 403
    session.expire_all()
    assert session.get(Ticket, ticket).status is TicketStatus.NEW  # type: ignore[union-attr]
