"""The Jira Service Management connector: its pure mapping on the Jira Cloud, Service Desk and Confluence API
reference's payloads, and the real client against a local server reproducing those endpoints (contract, auth,
pagination, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.connectors.jsm import mapping
from deskpilot.connectors.jsm.client import JsmConnector
from deskpilot.connectors.records import TicketChanges, TicketDraft
from deskpilot.connectors.registry import installed, open_connector
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.contract import check_connector_contract
from tests.connectors.desks import VendorDesk, jsm_desk
from tests.connectors.fake_jsm import CATEGORY_FIELD, GROUP_FIELD, OAUTH

BASE = "https://acme.atlassian.net"
ISSUE = {"id": "10002", "key": "SD-2", "self": f"{BASE}/rest/api/3/issue/10002", "fields": {
    "summary": "Laptop will not boot", "issuetype": {"name": "Get IT help"},
    "description": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "It beeps "}, {"type": "text", "text": "twice."}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "tried the charger"}]}]}]}]},
    "status": {"name": "Waiting for customer", "statusCategory": {"key": "indeterminate"}},
    "priority": {"name": "High"}, "reporter": {"accountId": "5b10a2844c20165700ede21g"},
    "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}, "created": "2025-03-03T08:00:01.000+0000",
    "updated": "2025-03-04T10:30:00.000+0100", CATEGORY_FIELD: {"value": "hardware"},
    GROUP_FIELD: [{"name": "Hardware", "groupId": "276f955c-63d7-42c8-9520-92d01dca0625"}],
    "attachment": [{"id": "10000", "filename": "photo.jpg", "mimeType": "image/jpeg", "size": 23123,
                    "content": f"{BASE}/rest/api/3/attachment/content/10000"}]},
    "changelog": {"histories": [{"id": "10001", "author": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
                                 "created": "2025-03-04T10:30:00.000+0100", "items": [
                                     {"field": "status", "fromString": "Open", "toString": "Waiting for customer"}]}]}}
COMMENTS = [{"id": "1000", "body": "Hello there", "public": True, "author": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
             "created": {"iso8601": "2025-03-03T09:00:00+0000", "epochMillis": 1740992400000}},
            {"id": "1001", "body": "Needs a new board.", "public": False,
             "author": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
             "created": {"iso8601": "2025-03-03T09:05:00+0000", "epochMillis": 1740992700000}}]


def test_an_issue_with_its_request_comments_and_changelog_maps_to_the_desks_terms() -> None:
    ticket = mapping.ticket_from_jira(ISSUE, base_url=BASE, comments=COMMENTS, category_field=CATEGORY_FIELD,
                                      group_field=GROUP_FIELD)

    assert (ticket.external_id, ticket.number, ticket.status, ticket.vendor_status, ticket.priority) == (
        "10002", "SD-2", TicketStatus.WAITING_ON_CUSTOMER, "Waiting for customer", Priority.P2)
    assert ticket.description == "It beeps twice.\ntried the charger"
    assert (ticket.category, ticket.group_id, ticket.requester_id, ticket.url) == (
        "hardware", "276f955c-63d7-42c8-9520-92d01dca0625", "5b10a2844c20165700ede21g", f"{BASE}/browse/SD-2")
    assert ticket.updated_at.isoformat() == "2025-03-04T09:30:00+00:00"
    assert [(c.body, c.public) for c in ticket.comments] == [("Hello there", True), ("Needs a new board.", False)]
    assert [(a.filename, a.size) for a in ticket.attachments] == [("photo.jpg", 23123)]
    assert [(h.field, h.old, h.new) for h in ticket.history] == [("status", "Open", "Waiting for customer")]
    assert mapping.ticket_from_jira(ISSUE, base_url=BASE).category == "Get IT help"
    done = {"name": "Done", "statusCategory": {"key": "done"}}
    assert mapping.status_of(done) is TicketStatus.RESOLVED
    assert mapping.status_of({"name": "Triage", "statusCategory": {"key": "new"}}) is TicketStatus.NEW


def test_writes_map_to_the_documented_request_bodies() -> None:
    assert mapping.request_to_jsm(service_desk_id="1", request_type_id="10", summary="VPN", description="Drops.",
                                  requester_id="abc") == {
        "serviceDeskId": "1", "requestTypeId": "10", "requestFieldValues": {"summary": "VPN", "description": "Drops."},
        "raiseOnBehalfOf": "abc"}
    assert mapping.changes_to_jira(TicketChanges(priority=Priority.P1, category="network", group_id="g1",
                                                 assignee_id="a1"), category_field=CATEGORY_FIELD,
                                   group_field=GROUP_FIELD) == {"fields": {
        "priority": {"name": "Highest"}, "assignee": {"accountId": "a1"}, CATEGORY_FIELD: {"value": "network"},
        GROUP_FIELD: [{"groupId": "g1"}]}}
    listed = [{"id": "21", "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}},
              {"id": "31", "to": {"name": "Done", "statusCategory": {"key": "done"}}}]
    assert mapping.transition_for(listed, TicketStatus.RESOLVED) == "31"
    assert mapping.transition_for(listed, TicketStatus.NEW) is None
    assert mapping.comment_to_jsm("Checked.", public=False) == {"body": "Checked.", "public": False}
    assert mapping.adf_text(mapping.adf("one\ntwo")) == "one\ntwo"


def test_pages_users_and_groups_map_from_confluence_and_jira() -> None:
    article = mapping.article_from_confluence({"id": "98", "status": "draft", "title": "Printing", "parentId": "7",
                                               "version": {"number": 2, "createdAt": "2025-03-03T08:00:00.000Z"},
                                               "body": {"storage": {"value": "<p>Press print</p>"}},
                                               "_links": {"webui": "/spaces/KB/pages/98"}}, base_url=BASE)
    hidden = mapping.user_from_jira({"accountId": "x1", "displayName": "Mia", "active": True})
    group = mapping.group_from_jira({"name": "Hardware", "groupId": "g1"}, [{"accountId": "a1"}])

    assert (article.published, article.body, article.url) == (False, "<p>Press print</p>",
                                                              f"{BASE}/wiki/spaces/KB/pages/98")
    assert (hidden.email, hidden.name) == ("", "Mia")
    assert (group.external_id, group.member_ids) == ("g1", ("a1",))


@pytest.fixture
def jsm() -> Iterator[VendorDesk]:
    with jsm_desk(tickets=12, articles=3) as desk:
        yield desk


def test_the_client_fulfils_the_connector_contract_against_the_documented_api(jsm: VendorDesk) -> None:
    check_connector_contract(jsm.connector())


def test_the_jql_search_pages_in_order_of_change_with_comments_files_and_history(jsm: VendorDesk) -> None:
    connector = jsm.connector()
    first = connector.tickets_since(None, limit=5)
    rest = connector.tickets_since(first.cursor, limit=100)

    assert (len(first.items), first.more, len(rest.items), rest.more) == (5, True, 7, False)
    ticket = first.items[0]
    assert ticket.category in ("network", "access", "hardware", "software") and len(ticket.comments) == 3
    assert connector.read_attachment(ticket.attachments[0]).startswith(b"\x89PNG")
    assert {h.field for h in ticket.history} == {"status", "assignee"}
    assert connector.tickets_since(rest.cursor, limit=100).items == ()
    users = connector.users_since(None, limit=100).items
    assert len(users) == 30 and all(u.name != "Automation" for u in users), "apps are not people"
    assert [(g.name, len(g.member_ids)) for g in connector.groups()] == [("Service Desk", 2), ("Network Ops", 2)]
    articles = connector.articles_since(None, limit=2)
    assert (len(articles.items), articles.more) == (2, True)
    assert connector.articles_since(articles.cursor, limit=2).more is False
    moved = connector.update_ticket(ticket.external_id, TicketChanges(status=TicketStatus.WAITING_ON_CUSTOMER))
    assert moved.status is TicketStatus.WAITING_ON_CUSTOMER


def test_bearer_tokens_work_and_bad_credentials_are_a_clear_non_retryable_error(jsm: VendorDesk) -> None:
    bearer = JsmConnector(jsm.config | {"oauth_token": OAUTH})
    wrong = JsmConnector(jsm.config | {"api_token": "wrong"})

    assert len(bearer.groups()) == 2
    with pytest.raises(ProviderError, match="jsm refused the credentials .401: Client must be authenticated") as e:
        wrong.tickets_since(None, limit=5)
    assert not e.value.retryable
    with pytest.raises(NotFound, match="Issue does not exist"):
        bearer.ticket("SD-999")
    with pytest.raises(InvalidInput, match="an id or a key"):
        bearer.ticket("../user")


def test_configuration_without_a_site_project_or_credentials_is_refused() -> None:
    with pytest.raises(InvalidInput, match="needs email, api_token"):
        JsmConnector({"site": "acme", "project": "SD"})
    with pytest.raises(InvalidInput, match="needs project"):
        JsmConnector({"site": "acme", "oauth_token": "t"})
    with pytest.raises(InvalidInput, match="'site'"):
        JsmConnector({"project": "SD", "oauth_token": "t"})
    with pytest.raises(InvalidInput, match="time zone name"):
        JsmConnector({"site": "acme", "project": "SD", "oauth_token": "t", "time_zone": "Mars/Olympus"})
    with pytest.raises(InvalidInput, match="needs service_desk_id and request_type_id"):
        JsmConnector({"site": "acme", "project": "SD", "oauth_token": "t"}).create_ticket(
            TicketDraft(subject="s", description="d"))


def test_the_connector_is_installed_by_its_entry_point(deskpilot_entry_points: Path) -> None:
    assert {"jsm", "freshservice", "zendesk", "servicenow"} <= set(installed())
    connector = open_connector("jsm", {"site": "acme", "project": "SD", "oauth_token": "t"})
    assert isinstance(connector, JsmConnector) and connector.base_url == BASE
