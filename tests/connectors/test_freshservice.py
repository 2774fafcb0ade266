"""The Freshservice connector: its pure mapping on the API v2 reference's payloads, and the real client against a
local server reproducing the documented endpoints (contract, auth, pagination, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.connectors.freshservice import mapping
from deskpilot.connectors.freshservice.client import FreshserviceConnector
from deskpilot.connectors.records import TicketChanges, TicketDraft
from deskpilot.connectors.registry import installed, open_connector
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.contract import check_connector_contract
from tests.connectors.desks import VendorDesk, freshservice_desk

BASE = "https://acme.freshservice.com"
TICKET = {"id": 1, "subject": "Support Needed...", "description": "<div>Details about the issue...</div>",
          "description_text": "Details about the issue...", "type": "Incident", "status": 4, "priority": 3,
          "requester_id": 1000, "responder_id": 1005, "group_id": 21, "category": "Hardware", "source": 2,
          "attachments": [{"id": 14, "name": "screen.png", "content_type": "image/png", "size": 2532,
                           "attachment_url": "https://s3.amazonaws.com/fs/screen.png", "created_at":
                           "2023-03-01T10:00:00Z"}],
          "created_at": "2023-03-01T10:00:00Z", "updated_at": "2023-03-02T16:30:00Z"}
CONVERSATIONS = [
    {"id": 301, "user_id": 1005, "body": "<div>Please restart.</div>", "body_text": "Please restart.",
     "private": False, "incoming": False, "attachments": [], "created_at": "2023-03-01T11:00:00Z"},
    {"id": 302, "user_id": 1005, "body": "<div>Known issue.</div>", "body_text": "Known issue.", "private": True,
     "incoming": False, "attachments": [], "created_at": "2023-03-01T11:05:00Z"}]
ACTIVITIES = [{"actor": {"id": 1005, "name": "Rachel"}, "content": " set Status as Resolved",
               "sub_contents": [" set Priority as High"], "created_at": "2023-03-02T16:30:00Z"},
              {"actor": {"id": 1005, "name": "Rachel"}, "content": " added a note", "sub_contents": [],
               "created_at": "2023-03-01T11:05:00Z"}]


def test_a_ticket_with_its_conversations_and_activities_maps_to_the_desks_terms() -> None:
    ticket = mapping.ticket_from_freshservice(TICKET, base_url=BASE, conversations=CONVERSATIONS,
                                              activities=ACTIVITIES)

    assert (ticket.external_id, ticket.number, ticket.status, ticket.vendor_status, ticket.priority) == (
        "1", "#INC-1", TicketStatus.RESOLVED, "Resolved", Priority.P2)
    assert (ticket.description, ticket.category, ticket.requester_id, ticket.assignee_id, ticket.group_id) == (
        "Details about the issue...", "Hardware", "1000", "1005", "21")
    assert [(c.external_id, c.body, c.public, c.author_id) for c in ticket.comments] == [
        ("301", "Please restart.", True, "1005"), ("302", "Known issue.", False, "1005")]
    assert [(a.filename, a.size) for a in ticket.attachments] == [("screen.png", 2532)]
    assert [(h.field, h.new, h.actor_id) for h in ticket.history] == [("status", "Resolved", "1005"),
                                                                       ("priority", "High", "1005")]
    assert ticket.url == f"{BASE}/a/tickets/1"


def test_writes_map_to_the_documented_request_bodies() -> None:
    assert mapping.ticket_to_freshservice(TicketDraft(subject="VPN", description="Drops hourly.", requester_id="7",
                                                      priority=Priority.P1, group_id="3")) == {
        "subject": "VPN", "description": "Drops hourly.", "status": 2, "priority": 4, "requester_id": 7,
        "group_id": 3}
    assert mapping.changes_to_freshservice(TicketChanges(status=TicketStatus.WAITING_ON_CUSTOMER,
                                                         assignee_id="9")) == {"status": 3, "responder_id": 9}
    assert mapping.note_to_freshservice("Checked.", public=False) == ("notes", {"body": "Checked.", "private": True})
    assert mapping.note_to_freshservice("Fixed.", public=True) == ("reply", {"body": "Fixed."})


def test_articles_people_and_groups_map_from_the_api() -> None:
    article = mapping.article_from_freshservice({"id": 5, "title": "Printing", "description": "<p>Press print</p>",
                                                 "status": 1, "folder_id": 9, "updated_at": "2023-03-01T10:00:00Z"},
                                                base_url=BASE)
    requester = mapping.user_from_freshservice({"id": 1000, "first_name": "Rachel", "last_name": "Doe",
                                                "primary_email": "rachel@acme.example", "active": True})
    agent = mapping.user_from_freshservice({"id": 1005, "first_name": "Sam", "email": "sam@acme.example",
                                            "active": False})
    groups = mapping.groups_from_freshservice([{"id": 21, "name": "Hardware", "members": [1005, 1006]}])

    assert (article.published, article.category, article.url) == (False, "9", f"{BASE}/support/solutions/articles/5")
    assert (requester.name, requester.email, agent.email, agent.active) == (
        "Rachel Doe", "rachel@acme.example", "sam@acme.example", False)
    assert [(g.name, g.member_ids) for g in groups] == [("Hardware", ("1005", "1006"))]


@pytest.fixture
def freshservice() -> Iterator[VendorDesk]:
    with freshservice_desk(tickets=12, articles=3) as desk:
        yield desk


def test_the_client_fulfils_the_connector_contract_against_the_documented_api(freshservice: VendorDesk) -> None:
    check_connector_contract(freshservice.connector())


def test_changed_tickets_page_in_order_of_change_with_conversations_files_and_history(
        freshservice: VendorDesk) -> None:
    connector = freshservice.connector()
    first = connector.tickets_since(None, limit=5)
    rest = connector.tickets_since(first.cursor, limit=100)

    assert (len(first.items), first.more, len(rest.items), rest.more) == (5, True, 7, False)
    assert [t.updated_at for t in first.items + rest.items] == sorted(t.updated_at for t in first.items + rest.items)
    ticket = first.items[0]
    assert len(ticket.comments) == 3 and {h.field for h in ticket.history} == {"status", "responder_id"}
    assert connector.read_attachment(ticket.attachments[0]).startswith(b"\x89PNG")
    assert connector.tickets_since(rest.cursor, limit=100).items == ()
    users = connector.users_since(None, limit=10)
    assert (len(users.items), users.cursor, users.more) == (10, "requesters:2", True)
    assert [g.name for g in connector.groups()] == ["Service Desk", "Network Ops"]
    assert len(connector.articles_since(None, limit=10).items) == 2


def test_bad_credentials_are_a_clear_non_retryable_error(freshservice: VendorDesk) -> None:
    wrong = FreshserviceConnector(freshservice.config | {"api_key": "wrong"})

    with pytest.raises(ProviderError, match="refused the credentials .401: You are not authorized") as e:
        wrong.tickets_since(None, limit=5)
    assert not e.value.retryable
    with pytest.raises(NotFound, match="no record"):
        freshservice.connector().ticket("424242")
    with pytest.raises(InvalidInput, match="is a number"):
        freshservice.connector().ticket("../agents")


def test_configuration_without_a_domain_or_key_is_refused_naming_what_is_missing() -> None:
    with pytest.raises(InvalidInput, match="needs api_key"):
        FreshserviceConnector({"domain": "acme"})
    with pytest.raises(InvalidInput, match="domain"):
        FreshserviceConnector({"api_key": "k"})


def test_the_connector_is_installed_by_its_entry_point(deskpilot_entry_points: Path) -> None:
    assert "freshservice" in installed()
    connector = open_connector("freshservice", {"domain": "acme", "api_key": "k"})
    assert isinstance(connector, FreshserviceConnector) and connector.base_url == BASE
