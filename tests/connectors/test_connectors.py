"""The connector registry and contract, with MemoryDesk, a connector defined for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from deskpilot.connectors.records import ExternalAttachment, TicketChanges, TicketDraft
from deskpilot.connectors.registry import installed, open_connector
from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.contract import check_connector_contract
from tests.connectors.memory_desk import MemoryDesk, changes_to_vendor, ticket_from_vendor, ticket_to_vendor
from tests.entry_points import install


def _memorydesk() -> MemoryDesk:
    return cast(MemoryDesk, open_connector("memorydesk", {"subdomain": "northwind"}))


def test_installed_connectors_are_listed_from_their_entry_points(memorydesk_installed: Path) -> None:
    assert "memorydesk" in installed()


def test_an_unknown_connector_is_a_clear_error_naming_the_installed_ones(memorydesk_installed: Path) -> None:
    with pytest.raises(InvalidInput, match=r"There is no connector 'servicenow'; installed: .*memorydesk"):
        open_connector("servicenow", {})


def test_an_entry_point_naming_a_class_of_another_name_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    install(monkeypatch, tmp_path / "plugin", "deskpilot-misnamed",
            {"deskpilot.connectors": {"zendesk": "tests.connectors.memory_desk:MemoryDesk"}})

    with pytest.raises(TypeError, match="must name a connector class called 'zendesk'"):
        open_connector("zendesk", {"subdomain": "northwind"})


def test_a_connector_missing_part_of_the_contract_is_refused_naming_what_is_missing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path / "plugin", "deskpilot-halfdesk",
            {"deskpilot.connectors": {"halfdesk": "tests.connectors.memory_desk:HalfDesk"}})

    with pytest.raises(TypeError, match="missing: add_comment, articles_since, create_ticket, groups, read_attachment"):
        open_connector("halfdesk", {})


def test_a_connector_opened_by_name_fulfils_the_connector_contract(memorydesk_installed: Path) -> None:
    check_connector_contract(_memorydesk())


def test_a_connector_refuses_configuration_it_cannot_use(memorydesk_installed: Path) -> None:
    with pytest.raises(InvalidInput, match="subdomain"):
        open_connector("memorydesk", {})


def test_paging_by_cursor_neither_skips_nor_repeats_and_sees_later_changes(memorydesk_installed: Path) -> None:
    desk = _memorydesk()
    ids = [desk.create_ticket(TicketDraft(subject=f"Ticket {n}", description="-")).external_id for n in range(5)]
    seen, cursor, pages = [], None, []
    while True:
        page = desk.tickets_since(cursor, limit=2)
        seen += [t.external_id for t in page.items]
        pages.append((len(page.items), page.more))
        cursor = page.cursor
        if not page.more:
            break
    desk.update_ticket(ids[0], TicketChanges(status=TicketStatus.IN_PROGRESS))

    later = desk.tickets_since(cursor, limit=2)

    assert seen == ids and pages == [(2, True), (2, True), (1, False)]
    assert [(t.external_id, t.status, t.vendor_status) for t in later.items] == [(ids[0], TicketStatus.IN_PROGRESS,
                                                                                   "hold")]


def test_vendor_json_maps_to_the_desks_vocabulary_and_back() -> None:
    raw = {"id": 41, "subject": "VPN drops", "description": "Every hour.", "status": "pending", "priority": "urgent",
           "type": "incident", "requester_id": 7, "assignee_id": None, "group_id": 3,
           "created_at": "2026-01-05T09:00:00Z", "updated_at": "2026-01-05T10:00:00Z",
           "url": "https://northwind.memorydesk.example/api/v2/tickets/41.json",
           "comments": [{"id": 5, "body": "Which client?", "public": True, "author_id": 2,
                         "created_at": "2026-01-05T09:30:00Z"}],
           "attachments": [{"id": 9, "file_name": "log.txt", "content_type": "text/plain", "size": 12,
                            "content_url": "https://files.example/9"}],
           "audits": [{"author_id": 2, "created_at": "2026-01-05T09:31:00Z",
                       "events": [{"type": "Change", "field_name": "status", "previous_value": "new",
                                   "value": "pending"}, {"type": "Notification", "subject": "sent"}]}]}

    ticket = ticket_from_vendor(raw)

    assert (ticket.external_id, ticket.number, ticket.status, ticket.priority) == (
        "41", "#41", TicketStatus.WAITING_ON_CUSTOMER, Priority.P1)
    assert (ticket.requester_id, ticket.assignee_id, ticket.group_id, ticket.category) == ("7", None, "3", "incident")
    assert ticket.attachments == (ExternalAttachment("9", "log.txt", "text/plain", 12, "https://files.example/9"),)
    assert [(h.field, h.old, h.new, h.actor_id) for h in ticket.history] == [("status", "new", "pending", "2")]
    assert ticket_to_vendor(TicketDraft(subject="VPN drops", description="Every hour.", priority=Priority.P1,
                                        group_id="3")) == {"ticket": {"subject": "VPN drops",
                                                                      "comment": {"body": "Every hour."},
                                                                      "priority": "urgent", "group_id": 3}}
    assert changes_to_vendor(TicketChanges(status=TicketStatus.RESOLVED)) == {"ticket": {"status": "solved"}}


def test_articles_users_and_groups_are_read_for_mapping_onto_the_desk(memorydesk_installed: Path) -> None:
    desk = _memorydesk()
    desk.add_article("Reset your password", "Go to the portal.")
    desk.add_article("Unfinished", "Draft text.", draft=True)
    desk.add_user("Alice Example", "alice@northwind.example")
    desk.group_records.append({"id": 3, "name": "Network Ops", "user_ids": [4, 5]})

    articles = desk.articles_since(None, limit=10).items
    users = desk.users_since(None, limit=10).items

    assert [(a.title, a.published) for a in articles] == [("Reset your password", True), ("Unfinished", False)]
    assert [(u.email, u.active) for u in users] == [("alice@northwind.example", True)]
    assert [(g.name, g.member_ids) for g in desk.groups()] == [("Network Ops", ("4", "5"))]


def test_a_tickets_attachments_are_listed_with_it_and_read_by_the_connector(memorydesk_installed: Path) -> None:
    desk = _memorydesk()
    ticket_id = desk.create_ticket(TicketDraft(subject="Scanner error", description="See the log.")).external_id
    desk.attach(ticket_id, "scanner.log", b"E42 paper feed")

    (attachment,) = desk.ticket(ticket_id).attachments

    assert (attachment.filename, attachment.size) == ("scanner.log", 14)
    assert desk.read_attachment(attachment) == b"E42 paper feed"
