"""The Zendesk connector: its pure mapping on the API reference's payloads, and the real client against a local
server reproducing the documented endpoints (contract, auth, pagination, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.connectors.records import TicketChanges, TicketDraft
from deskpilot.connectors.registry import installed, open_connector
from deskpilot.connectors.zendesk import mapping
from deskpilot.connectors.zendesk.client import ZendeskConnector
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.contract import check_connector_contract
from tests.connectors.desks import VendorDesk, zendesk_desk
from tests.connectors.fake_zendesk import CATEGORY_FIELD, OAUTH

TICKET = {"id": 35436, "url": "https://company.zendesk.com/api/v2/tickets/35436.json", "subject": "Help, my printer is "
          "on fire!", "raw_subject": "Help, my printer is on fire!", "description": "The fire is very colorful.",
          "status": "solved", "priority": "high", "type": "incident", "requester_id": 20978392,
          "submitter_id": 76872, "assignee_id": 235323, "group_id": 98738, "tags": ["enterprise"],
          "custom_fields": [{"id": 27642, "value": "745"}, {"id": 27648, "value": "yes"}],
          "created_at": "2009-07-20T22:55:29Z", "updated_at": "2011-05-05T10:38:52Z"}
COMMENTS = [
    {"id": 1274, "type": "Comment", "author_id": 20978392, "body": "The fire is very colorful.", "public": True,
     "attachments": [{"id": 498483, "file_name": "fire.png", "content_url": "https://company.zendesk.com/attachments/"
                      "token/abc/?name=fire.png", "content_type": "image/png", "size": 2532}],
     "created_at": "2009-07-20T22:55:29Z"},
    {"id": 1275, "type": "Comment", "author_id": 235323, "body": "Unplug it first.", "plain_body": "Unplug it first.",
     "public": True, "attachments": [], "created_at": "2009-07-20T23:10:00Z"},
    {"id": 1276, "type": "Comment", "author_id": 235323, "body": "Customer is VIP.", "public": False,
     "attachments": [], "created_at": "2009-07-20T23:11:00Z"}]
AUDITS = [{"id": 2127301143, "ticket_id": 35436, "created_at": "2011-05-05T10:38:52Z", "author_id": 235323,
           "events": [{"id": 1564245, "type": "Change", "field_name": "status", "previous_value": "open",
                       "value": "solved"},
                      {"id": 1564246, "type": "Change", "field_name": "tags", "previous_value": [],
                       "value": ["enterprise", "printer"]},
                      {"id": 1564247, "type": "Notification", "subject": "Your ticket was solved"}]}]


def test_a_ticket_with_its_comments_and_audits_maps_to_the_desks_terms() -> None:
    ticket = mapping.ticket_from_zendesk(TICKET, comments=COMMENTS, audits=AUDITS)

    assert (ticket.external_id, ticket.number, ticket.status, ticket.vendor_status, ticket.priority) == (
        "35436", "#35436", TicketStatus.RESOLVED, "solved", Priority.P2)
    assert (ticket.requester_id, ticket.assignee_id, ticket.group_id, ticket.category) == (
        "20978392", "235323", "98738", "incident")
    assert [(c.external_id, c.body, c.public) for c in ticket.comments] == [
        ("1275", "Unplug it first.", True), ("1276", "Customer is VIP.", False)], "the first comment is the description"
    assert [(a.filename, a.size) for a in ticket.attachments] == [("fire.png", 2532)]
    assert [(h.field, h.old, h.new, h.actor_id) for h in ticket.history] == [
        ("status", "open", "solved", "235323"), ("tags", "", "enterprise printer", "235323")]
    assert mapping.ticket_from_zendesk(TICKET, category_field="27642").category == "745"
    assert mapping.ticket_from_zendesk(TICKET, category_field="1").category is None


def test_writes_map_to_the_documented_request_bodies() -> None:
    assert mapping.ticket_to_zendesk(TicketDraft(subject="VPN", description="Drops hourly.", requester_id="7",
                                                 priority=Priority.P1, group_id="3")) == {
        "ticket": {"subject": "VPN", "comment": {"body": "Drops hourly."}, "requester_id": 7, "priority": "urgent",
                   "group_id": 3}}
    assert mapping.changes_to_zendesk(TicketChanges(status=TicketStatus.WAITING_ON_CUSTOMER, assignee_id="9")) == {
        "ticket": {"status": "pending", "assignee_id": 9}}
    assert mapping.comment_to_zendesk("Checked.", public=False) == {"ticket": {"comment": {"body": "Checked.",
                                                                                          "public": False}}}


def test_articles_users_and_groups_map_from_help_center_and_support() -> None:
    article = mapping.article_from_zendesk({"id": 37486578, "title": "Printing", "body": "<p>Press print</p>",
                                            "draft": True, "html_url": "https://company.zendesk.com/hc/en-us/"
                                            "articles/37486578", "section_id": 98838,
                                            "updated_at": "2012-04-04T09:14:01Z"})
    user = mapping.user_from_zendesk({"id": 35436, "name": "Johnny Agent", "email": "johnny@example.com",
                                      "active": False})
    groups = mapping.groups_from_zendesk([{"id": 211, "name": "DJs"}, {"id": 212, "name": "Old", "deleted": True}],
                                         [{"user_id": 72, "group_id": 211}, {"user_id": 73, "group_id": 211}])

    assert (article.published, article.category, article.body) == (False, "98838", "<p>Press print</p>")
    assert (user.external_id, user.email, user.active) == ("35436", "johnny@example.com", False)
    assert [(g.name, g.member_ids) for g in groups] == [("DJs", ("72", "73"))]


@pytest.fixture
def zendesk() -> Iterator[VendorDesk]:
    with zendesk_desk(tickets=12, articles=3) as desk:
        yield desk


def test_the_client_fulfils_the_connector_contract_against_the_documented_api(zendesk: VendorDesk) -> None:
    check_connector_contract(zendesk.connector())


def test_the_incremental_export_pages_by_cursor_with_comments_attachments_and_history(zendesk: VendorDesk) -> None:
    connector = ZendeskConnector(zendesk.config | {"category_field": str(CATEGORY_FIELD)})
    first = connector.tickets_since(None, limit=5)
    rest = connector.tickets_since(first.cursor, limit=100)

    assert (len(first.items), first.more, len(rest.items), rest.more) == (5, True, 7, False)
    ticket = first.items[0]
    assert ticket.category in ("network", "access", "hardware", "software") and len(ticket.comments) == 3
    assert ticket.attachments and connector.read_attachment(ticket.attachments[0]).startswith(b"\x89PNG")
    assert {h.field for h in ticket.history} == {"status", "assignee_id"}
    assert connector.tickets_since(rest.cursor, limit=100).items == ()


def test_bearer_tokens_work_and_bad_credentials_are_a_clear_non_retryable_error(zendesk: VendorDesk) -> None:
    bearer = ZendeskConnector({"base_url": zendesk.url, "oauth_token": OAUTH})
    wrong = ZendeskConnector(zendesk.config | {"api_token": "wrong"})

    assert len(bearer.groups()) == 2
    with pytest.raises(ProviderError, match="zendesk refused the credentials .401: Couldn't authenticate you") as e:
        wrong.tickets_since(None, limit=5)
    assert not e.value.retryable
    with pytest.raises(NotFound, match="RecordNotFound"):
        bearer.ticket("424242")


def test_configuration_without_credentials_is_refused_naming_what_is_missing() -> None:
    with pytest.raises(InvalidInput, match="needs email, api_token"):
        ZendeskConnector({"subdomain": "acme"})
    with pytest.raises(InvalidInput, match="subdomain"):
        ZendeskConnector({"email": "a@acme.example", "api_token": "t"})


def test_the_connector_is_installed_by_its_entry_point(deskpilot_entry_points: Path) -> None:
    assert {"servicenow", "zendesk"} <= set(installed())
    connector = open_connector("zendesk", {"subdomain": "acme", "oauth_token": "t"})
    assert isinstance(connector, ZendeskConnector) and connector.api.base_url == "https://acme.zendesk.com"
