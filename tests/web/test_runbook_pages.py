"""The runbook pages: signed-in leads approve (two, none the author, for high risk), a dry-run previews, the
run it permits changes the ticket, and a lead rolls it back; agents and auditors read; requesters get 403."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.runbooks import service as definitions
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Priority
from tests.factories import Desk, make_user, open_ticket
from tests.web.conftest import PageClient

NAME = "raise-priority"
RUNBOOK = """
name: raise-priority
title: Raise a ticket to P1 and say why
risk: high
approval: {min_approvers: 2}
target: "ticket-priority:{{ params.reason }}"
parameters: [{name: reason, type: text, description: why the ticket is urgent}]
steps:
  - {id: raise, action: ticket.update, description: Raise the priority, inputs: {priority: P1},
     rollback: ticket.update}
"""
AUTHOR = Principal.system("runbook-author")


def _fresh(session: Session) -> None:
    session.rollback()
    session.expire_all()


def _runbook(session: Session) -> None:
    definitions.create(session, actor=AUTHOR, source=RUNBOOK)
    session.commit()


def _approve(browser: PageClient) -> str:
    page = browser.get(f"/runbooks/{NAME}")
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]{64})"', page.text)
    assert content_hash is not None, "no approve form on the page"
    done = browser.post_form(f"/runbooks/{NAME}/versions/1/approve", {"content_hash": content_hash.group(1)},
                             from_page=f"/runbooks/{NAME}")
    assert done.status_code == 303, done.text
    return done.headers["location"]


def test_two_leads_approve_a_high_risk_runbook_then_a_dry_run_a_run_and_a_rollback(
        browser: PageClient, second_browser: PageClient, session: Session, desk: Desk) -> None:
    make_user(session, "leo", desk.lena.role)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    _runbook(session)

    browser.sign_in("lena")
    listed = browser.get("/runbooks")
    assert "Raise a ticket to P1 and say why" in listed.text and "none yet" in listed.text
    page = browser.get(f"/runbooks/{NAME}")
    assert "Approvals: 0 of 2" in page.text and "Raise the priority" in page.text
    assert "Preview the changes" not in page.text
    assert _approve(browser).endswith("done=approval")
    again = browser.post_form(f"/runbooks/{NAME}/versions/1/approve",
                              {"content_hash": "0" * 64}, from_page=f"/runbooks/{NAME}")
    assert again.status_code == 409 and "not the text you reviewed" in again.text

    second_browser.sign_in("leo")
    assert _approve(second_browser).endswith("done=approved")
    page = second_browser.get(f"/runbooks/{NAME}")
    assert "Approvals: 2 of 2 (lena, leo)" in page.text

    dry = second_browser.post_form(f"/runbooks/{NAME}/dry-run", {"param_reason": "outage",
                                                                  "ticket_id": f"DP-{ticket.id}"},
                                   from_page=f"/runbooks/{NAME}")
    assert dry.status_code == 303
    preview = second_browser.get(dry.headers["location"])
    assert "Planned changes" in preview.text and "Run these changes" in preview.text
    dry_run_id = dry.headers["location"].rsplit("/", 1)[1]
    ran = second_browser.post_form(f"/runbooks/{NAME}/run", {"param_reason": "outage", "dry_run_id": dry_run_id,
                                                             "ticket_id": str(ticket.id)},
                                   from_page=dry.headers["location"])
    assert ran.status_code == 303
    run_page = second_browser.get(ran.headers["location"])
    assert 'id="run-status">succeeded' in run_page.text and "runbook.run" in run_page.text
    _fresh(session)
    assert tickets.get(session, actor=desk.principal(desk.lena), ticket_id=ticket.id).priority is Priority.P1

    run_id = ran.headers["location"].rsplit("/", 1)[1]
    rolled = browser.post_form(f"/runbooks/runs/{run_id}/rollback", {}, from_page=ran.headers["location"])
    assert rolled.status_code == 303
    assert 'id="run-status">rolled_back' in browser.get(ran.headers["location"]).text
    _fresh(session)
    assert tickets.get(session, actor=desk.principal(desk.lena), ticket_id=ticket.id).priority is not Priority.P1


def test_a_run_without_its_dry_run_is_refused_on_the_page(browser: PageClient, session: Session,
                                                          desk: Desk) -> None:
    make_user(session, "leo", desk.lena.role)
    _runbook(session)
    version = definitions.get_version(session, name=NAME, version=1)
    definitions.approve(session, actor=desk.principal(desk.lena), name=NAME, version=1,
                        reviewed_hash=version.content_hash)
    definitions.approve(session, actor=Principal.system("leo"), name=NAME, version=1,
                        reviewed_hash=version.content_hash)
    session.commit()
    browser.sign_in("carol")
    refused = browser.post_form(f"/runbooks/{NAME}/run", {"param_reason": "outage"}, from_page=f"/runbooks/{NAME}")
    assert refused.status_code == 422 and "Do a dry-run" in refused.text


@pytest.mark.parametrize("username", ["carol", "audrey"])
def test_agents_and_auditors_read_runbooks_without_approval_or_rollback_controls(
        browser: PageClient, session: Session, desk: Desk, username: str) -> None:
    del desk
    _runbook(session)
    browser.sign_in(username)
    page = browser.get(f"/runbooks/{NAME}")
    assert page.status_code == 200 and "Approve version" not in page.text
    assert browser.post_form(f"/runbooks/{NAME}/versions/1/approve", {"content_hash": "0" * 64},
                             from_page="/runbooks").status_code == 403


def test_requesters_get_403_on_runbook_pages_and_see_no_link(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    assert 'href="/runbooks"' not in browser.get("/account").text
    for path in ("/runbooks", f"/runbooks/{NAME}", "/runbooks/runs"):
        assert browser.get(path).status_code == 403
