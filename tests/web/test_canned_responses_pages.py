"""Canned responses in the pages over real HTTP: leads and admins manage them, an agent inserts one into a reply
(htmx swaps the reply box; without JavaScript the page comes back with what was typed kept)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.tickets import canned
from deskpilot.tickets.canned_schemas import CannedResponseWrite
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient, csrf_token

PAGE = "/canned-responses"


def test_a_lead_creates_edits_and_deletes_a_canned_response(browser: PageClient, desk: Desk) -> None:
    browser.sign_in("lena")
    page = browser.get(PAGE)
    assert page.status_code == 200 and "{{requester.name}}" in page.text
    assert 'href="/canned-responses"' in browser.get("/account").text
    token = csrf_token(page.text)
    refused = browser.post(PAGE, data={"csrf_token": token, "title": "Typo", "body": "Hi {{requester.nme}}"})
    assert refused.status_code == 422 and "Unknown placeholder" in refused.text
    assert "Hi {{requester.nme}}" in refused.text
    empty = browser.post(PAGE, data={"csrf_token": token, "title": "", "body": ""})
    assert empty.status_code == 422 and 'id="title-error"' in empty.text
    created = browser.post(PAGE, data={"csrf_token": token, "title": "VPN steps", "body": "Reconnect, {{agent.name}}",
                                       "queue_id": str(desk.network.id)})
    assert created.status_code == 303
    listed = browser.get(created.headers["location"])
    assert "The canned response was created" in listed.text and "Network only" in listed.text
    assert "VPN steps" in listed.text
    response_id = int(listed.text.split('href="/canned-responses/')[1].split('"')[0])
    edit = browser.get(f"{PAGE}/{response_id}")
    assert "Edit canned response" in edit.text
    saved = browser.post(f"{PAGE}/{response_id}", data={"csrf_token": token, "title": "VPN reconnect", "body": "x"})
    assert saved.status_code == 303 and "VPN reconnect" in browser.get(PAGE).text
    deleted = browser.post(f"{PAGE}/{response_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and "VPN reconnect" not in browser.get(PAGE).text


def test_agents_and_auditors_cannot_open_the_management_page(browser: PageClient, desk: Desk) -> None:
    del desk
    for who in ("carol", "audrey"):
        browser.cookies.clear()
        browser.sign_in(who)
        assert browser.get(PAGE).status_code == 403, who
        assert 'href="/canned-responses"' not in browser.get("/account").text


def test_an_agent_inserts_a_canned_response_after_what_they_typed(browser: PageClient, session: Session,
                                                                  desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Mailbox full").id
    response = canned.create(session, actor=Principal.of(desk.lena), data=CannedResponseWrite(
        title="Mailbox", body="{{requester.first_name}}, archive old mail in {{ticket.ref}} <b>now</b>."))
    session.commit()
    browser.sign_in("carol")
    page = browser.get(f"/console/tickets/{ticket}")
    assert 'id="canned-response"' in page.text and ">Mailbox</option>" in page.text
    form = {"csrf_token": csrf_token(page.text), "canned_id": str(response.id), "body": "Thanks for waiting."}
    swapped = browser.post(f"/console/tickets/{ticket}/reply/canned", data=form, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith("<textarea")
    assert f"Thanks for waiting.\n\nAlice, archive old mail in DP-{ticket} &lt;b&gt;now&lt;/b&gt;." in swapped.text
    whole = browser.post(f"/console/tickets/{ticket}/reply/canned", data=form)
    assert whole.status_code == 200 and "Reply to the requester" in whole.text
    assert f"Thanks for waiting.\n\nAlice, archive old mail in DP-{ticket}" in whole.text
    nothing = browser.post(f"/console/tickets/{ticket}/reply/canned", data={**form, "canned_id": ""})
    assert nothing.status_code == 422
