"""The requester portal over real HTTP: creating, reading and answering tickets, and what must be refused."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from tests.factories import SYSTEM, Desk, open_ticket
from tests.web.conftest import PageClient

NEW_REQUEST = {"subject": "Printer on floor 3 jams", "description": "Every second page.", "impact": "medium",
               "urgency": "low"}


def _ticket_count(session: Session) -> int:
    session.expire_all()
    return tickets.get_all(session, actor=SYSTEM)[1]


def test_a_new_request_opens_a_ticket_and_shows_its_number_and_sla(browser: PageClient, session: Session,
                                                                  sla_24x7: None) -> None:
    del sla_24x7
    browser.sign_in("alice")
    response = browser.post_form("/tickets/new", NEW_REQUEST)
    assert response.status_code == 303
    location = response.headers["location"]
    ticket_id = int(re.fullmatch(r"/tickets/(\d+)\?created=1", location).group(1))  # type: ignore[union-attr]
    page = browser.get(location)
    assert f"Request DP-{ticket_id} is with the service desk" in page.text
    # Triage sets the priority (and so the targets); the page states both due times in plain words.
    when = r"\w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2} UTC \(in \d+ (minute|hour|day)s?\)"
    assert re.search(f"You can expect a first reply by {when} and a resolution by {when}\\.", page.text)
    listing = browser.get("/tickets")
    assert f"DP-{ticket_id}</span> Printer on floor 3 jams" in listing.text
    assert "First reply expected in" in listing.text
    assert _ticket_count(session) == 1


def test_a_form_post_without_a_valid_csrf_token_is_refused_and_creates_nothing(browser: PageClient,
                                                                               session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    missing = browser.post("/tickets/new", data=NEW_REQUEST)
    forged = browser.post("/tickets/new", data={**NEW_REQUEST, "csrf_token": "0" * 64})
    for response in (missing, forged):
        assert response.status_code == 403
        assert "security token is missing or out of date" in response.text
        assert response.headers["content-type"].startswith("text/html")
    assert _ticket_count(session) == 0


def test_a_token_from_another_session_is_refused(browser: PageClient, second_browser: PageClient,
                                                 session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    second_browser.sign_in("alice")
    stolen = re.search(r'name="csrf_token" value="([^"]+)"', second_browser.get("/tickets/new").text)
    response = browser.post("/tickets/new", data={**NEW_REQUEST, "csrf_token": stolen.group(1)})  # type: ignore[union-attr]
    assert response.status_code == 403
    assert _ticket_count(session) == 0


def test_a_requester_cannot_open_someone_elses_ticket_page(browser: PageClient, session: Session,
                                                           desk: Desk) -> None:
    bobs = open_ticket(session, desk, desk.bob, subject="Bob's private matter")
    session.commit()
    browser.sign_in("alice")
    for path in (f"/tickets/{bobs.id}", f"/tickets/{bobs.id}/thread"):
        response = browser.get(path)
        assert response.status_code == 404
        assert "Bob's private matter" not in response.text
        assert response.headers["content-type"].startswith("text/html")
    reply = browser.post_form(f"/tickets/{bobs.id}/reply", {"body": "hello"}, from_page="/tickets")
    assert reply.status_code == 404


def test_markup_in_subject_and_description_is_shown_as_text(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = browser.post_form("/tickets/new", {**NEW_REQUEST, "subject": evil, "description": evil})
    for path in (response.headers["location"], "/tickets"):
        page = browser.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_100_kb_description_is_refused_with_a_clear_message(browser: PageClient, session: Session,
                                                              desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    response = browser.post_form("/tickets/new", {**NEW_REQUEST, "description": "x" * 102_400})
    assert response.status_code == 422
    assert "The description is too long: 102,400 characters, and the limit is 100,000." in response.text
    assert 'value="Printer on floor 3 jams"' in response.text  # what was typed is kept
    assert _ticket_count(session) == 0


def test_missing_fields_are_explained_next_to_them(browser: PageClient, session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    response = browser.post_form("/tickets/new", {"subject": "  ", "description": "", "impact": "huge",
                                                  "urgency": "medium"})
    assert response.status_code == 422
    assert 'id="subject-error"' in response.text and "Give your request a short subject" in response.text
    assert 'aria-describedby="subject-hint subject-error" aria-invalid="true"' in response.text
    assert "Choose who is affected." in response.text
    assert _ticket_count(session) == 0


def test_requesters_reply_and_never_see_internal_notes(browser: PageClient, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    tickets.add_message(session, actor=desk.principal(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="Secret: her manager asked us to wait", kind=MessageKind.INTERNAL_NOTE))
    tickets.add_message(session, actor=desk.principal(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="Could you restart the VPN client?"))
    session.commit()
    browser.sign_in("alice")
    page = browser.get(f"/tickets/{ticket.id}").text
    assert "Could you restart the VPN client?" in page and "Secret:" not in page
    reply = browser.post_form(f"/tickets/{ticket.id}/reply", {"body": "Done, it still drops."})
    assert reply.status_code == 303
    thread = browser.get(f"/tickets/{ticket.id}/thread").text
    assert "Done, it still drops." in thread and "Secret:" not in thread


def test_staff_see_internal_notes_marked_as_such(browser: PageClient, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    tickets.add_message(session, actor=desk.principal(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="Checked the logs", kind=MessageKind.INTERNAL_NOTE))
    session.commit()
    browser.sign_in("carol")
    page = browser.get(f"/tickets/{ticket.id}").text
    assert "Checked the logs" in page and "Internal note – not visible to the requester" in page


def test_a_requester_confirms_or_reopens_their_resolved_ticket(browser: PageClient, session: Session,
                                                               desk: Desk) -> None:
    first, second = (open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=s) for s in "AB")
    for ticket in (first, second):
        tickets.change_status(session, actor=SYSTEM, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    session.commit()
    browser.sign_in("alice")
    assert "Is the problem fixed?" in browser.get(f"/tickets/{first.id}").text
    closed = browser.post_form(f"/tickets/{first.id}/status", {"action": "close", "comment": "Thanks!"})
    reopened = browser.post_form(f"/tickets/{second.id}/status", {"action": "reopen"})
    assert closed.status_code == reopened.status_code == 303
    session.expire_all()
    assert tickets.get(session, actor=SYSTEM, ticket_id=first.id).status is TicketStatus.CLOSED
    assert tickets.get(session, actor=SYSTEM, ticket_id=second.id).status is TicketStatus.OPEN
    closed_page = browser.get(f"/tickets/{first.id}").text
    assert "Thanks!" in closed_page and "Send reply" not in closed_page
    again = browser.post_form(f"/tickets/{first.id}/status", {"action": "reopen"}, from_page=f"/tickets/{second.id}")
    assert again.status_code == 409 and "is closed, so there is nothing to confirm" in again.text


def test_my_tickets_is_paginated(browser: PageClient, session: Session, desk: Desk) -> None:
    for i in range(23):
        open_ticket(session, desk, desk.alice, subject=f"Request number {i}")
    session.commit()
    browser.sign_in("alice")
    first = browser.get("/tickets").text
    assert "Page 1 of 2" in first and "Request number 22" in first and "Request number 2<" not in first
    second = browser.get("/tickets?page=2").text
    assert "Request number 0" in second and 'rel="prev"' in second


def test_the_queue_lists_what_staff_may_see_and_is_refused_to_requesters(browser: PageClient,
                                                                         second_browser: PageClient,
                                                                         session: Session, desk: Desk) -> None:
    routed = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Routed to service desk")
    open_ticket(session, desk, desk.bob, queue=desk.network, subject="Network only")
    session.commit()
    browser.sign_in("carol")
    queue = browser.get("/queue").text
    assert f"DP-{routed.id}" in queue and "Routed to service desk" in queue and "Network only" not in queue
    assert "Routed to service desk" not in browser.get("/queue?status=closed").text
    by_due = browser.get("/queue?sort=due").text
    assert f"DP-{routed.id}" in by_due and '<option value="due" selected>' in by_due
    second_browser.sign_in("alice")
    refused = second_browser.get("/queue")
    assert refused.status_code == 403 and "The queue is for service desk staff" in refused.text
