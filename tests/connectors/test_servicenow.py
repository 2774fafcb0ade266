"""The ServiceNow connector: its pure mapping on Table API payloads, and the real client against a local server
reproducing the Table and Attachment APIs (contract, basic auth, offset/limit pages, errors)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskpilot.connectors.records import TicketChanges, TicketDraft
from deskpilot.connectors.servicenow import mapping
from deskpilot.connectors.servicenow.client import ServiceNowConnector, changed_after
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.contract import check_connector_contract
from tests.connectors.desks import VendorDesk, servicenow_desk
from tests.connectors.fake_servicenow import OAUTH, select

INSTANCE = "https://dev12345.service-now.com"
INCIDENT = {"sys_id": "9d385017c611228701d22104cc95c371", "number": "INC0000003",
            "short_description": "Wireless access is down in my area", "description": "Since 9 am.", "state": "7",
            "incident_state": "7", "priority": "1", "impact": "1", "urgency": "1", "category": "network",
            "caller_id": "5137153cc611227c000bbd1bd8cd2005", "assigned_to": "46d44a23a9fe19810012d100cca80666",
            "assignment_group": "d625dccec0a8016700a222a0f7900d06", "close_notes": "Replaced the access point.",
            "resolved_at": "2024-08-12 10:00:00", "sys_created_on": "2024-08-11 08:00:00",
            "sys_updated_on": "2024-08-12 10:05:00"}
JOURNAL = [{"sys_id": "a1", "element": "comments", "element_id": INCIDENT["sys_id"], "name": "incident",
            "value": "Is it only floor 3?", "sys_created_on": "2024-08-11 08:30:00", "sys_created_by": "beth.anglin"},
           {"sys_id": "a2", "element": "work_notes", "element_id": INCIDENT["sys_id"], "name": "incident",
            "value": "AP-3 offline in the controller.", "sys_created_on": "2024-08-11 08:40:00",
            "sys_created_by": "beth.anglin"}]
AUDIT = [{"sys_id": "b1", "tablename": "incident", "documentkey": INCIDENT["sys_id"], "fieldname": "state",
          "oldvalue": "2", "newvalue": "7", "user": "beth.anglin", "sys_created_on": "2024-08-12 10:00:00"}]
FILE = {"sys_id": "c1", "file_name": "controller.log", "content_type": "text/plain", "size_bytes": "2048",
        "table_name": "incident", "table_sys_id": INCIDENT["sys_id"],
        "download_link": f"{INSTANCE}/api/now/attachment/c1/file"}


def test_an_incident_with_journal_audit_and_files_maps_to_the_desks_terms() -> None:
    authors = {"beth.anglin": "46d44a23a9fe19810012d100cca80666"}
    ticket = mapping.ticket_from_servicenow(INCIDENT, instance=INSTANCE, journal=JOURNAL, attachments=[FILE],
                                            audit=AUDIT, authors=authors)

    assert (ticket.number, ticket.status, ticket.vendor_status, ticket.priority, ticket.category) == (
        "INC0000003", TicketStatus.CLOSED, "Closed", Priority.P1, "network")
    assert ticket.url == f"{INSTANCE}/nav_to.do?uri=incident.do?sys_id={INCIDENT['sys_id']}"
    assert [(c.body, c.public, c.author_id) for c in ticket.comments] == [
        ("Is it only floor 3?", True, authors["beth.anglin"]),
        ("AP-3 offline in the controller.", False, authors["beth.anglin"]),
        ("Replaced the access point.", True, INCIDENT["assigned_to"])], "comments, work notes, then the close notes"
    assert [(a.filename, a.size) for a in ticket.attachments] == [("controller.log", 2048)]
    assert [(h.field, h.old, h.new) for h in ticket.history] == [("state", "2", "7")]


def test_writes_set_impact_and_urgency_and_journal_fields() -> None:
    assert mapping.ticket_to_servicenow(TicketDraft(subject="VPN", description="Drops.", priority=Priority.P2)) == {
        "short_description": "VPN", "description": "Drops.", "impact": "1", "urgency": "2"}
    assert mapping.changes_to_servicenow(TicketChanges(status=TicketStatus.RESOLVED, priority=Priority.P4)) == {
        "state": "6", "impact": "3", "urgency": "3"}
    assert mapping.comment_to_servicenow("Rebooted.", public=False) == {"work_notes": "Rebooted."}


def test_articles_users_and_groups_map_from_their_tables() -> None:
    article = mapping.article_from_servicenow({"sys_id": "k1", "number": "KB0000011", "short_description": "VPN",
                                               "text": "<p>Connect</p>", "workflow_state": "published",
                                               "sys_updated_on": "2024-01-02 03:04:05", "kb_category": ""},
                                              instance=INSTANCE)
    user = mapping.user_from_servicenow({"sys_id": "u1", "user_name": "abel.tuter", "name": "Abel Tuter",
                                         "email": "abel.tuter@example.com", "active": "false"})
    groups = mapping.groups_from_servicenow([{"sys_id": "g1", "name": "Network"}],
                                            [{"user": "u1", "group": "g1"}, {"user": {"value": "u2"}, "group": "g1"}])

    assert (article.published, article.url) == (True, f"{INSTANCE}/kb_view.do?sysparm_article=KB0000011")
    assert (user.name, user.active) == ("Abel Tuter", False)
    assert groups[0].member_ids == ("u1", "u2")


def test_changed_records_are_read_by_keyset_so_a_record_changed_meanwhile_is_not_skipped() -> None:
    rows = [{"sys_id": s, "sys_updated_on": t} for s, t in
            [("b", "2024-01-01 10:00:00"), ("a", "2024-01-01 10:00:00"), ("c", "2024-01-01 10:00:01")]]
    assert [r["sys_id"] for r in select(rows, changed_after(None))] == ["a", "b", "c"]
    assert [r["sys_id"] for r in select(rows, changed_after("2024-01-01 10:00:00|a"))] == ["b", "c"]


@pytest.fixture
def servicenow() -> Iterator[VendorDesk]:
    with servicenow_desk(incidents=12, articles=3) as desk:
        yield desk


def test_the_client_fulfils_the_connector_contract_against_the_table_api(servicenow: VendorDesk) -> None:
    check_connector_contract(servicenow.connector())


def test_incidents_page_by_limit_with_journal_files_and_authors_resolved(servicenow: VendorDesk) -> None:
    connector = servicenow.connector()
    first = connector.tickets_since(None, limit=5)
    rest = connector.tickets_since(first.cursor, limit=100)

    assert (len(first.items), first.more, len(rest.items), rest.more) == (5, True, 7, False)
    ticket = first.items[0]
    users = {u.external_id for u in connector.users_since(None, limit=100).items}
    assert {c.author_id for c in ticket.comments} <= users and len(ticket.comments) == 4
    assert connector.read_attachment(ticket.attachments[0]).startswith(b"\x89PNG")
    assert [g.name for g in connector.groups()] == ["Network", "Service Desk"]


def test_bearer_tokens_work_and_bad_credentials_are_a_clear_non_retryable_error(servicenow: VendorDesk) -> None:
    bearer = ServiceNowConnector({"instance": servicenow.url, "oauth_token": OAUTH})
    wrong = ServiceNowConnector(servicenow.config | {"password": "wrong"})

    assert len(bearer.articles_since(None, limit=10).items) == 3
    with pytest.raises(ProviderError, match="refused the credentials .401: User Not Authenticated") as e:
        wrong.tickets_since(None, limit=5)
    assert not e.value.retryable
    with pytest.raises(NotFound, match="No Record found"):
        bearer.ticket("0123456789abcdef0123456789abcdef")
    with pytest.raises(InvalidInput, match="letters and digits"):
        bearer.ticket("../sys_user")


def test_configuration_without_an_instance_or_credentials_is_refused() -> None:
    with pytest.raises(InvalidInput, match="needs instance"):
        ServiceNowConnector({})
    with pytest.raises(InvalidInput, match="needs username, password"):
        ServiceNowConnector({"instance": INSTANCE})
