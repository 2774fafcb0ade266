"""What every connector must do, checked against an ITSM it may write to.

A vendor connector's tests call `check_connector_contract` with the connector pointed at their local
server that reproduces the vendor's documented API; the registry tests call it with MemoryDesk.
"""

from __future__ import annotations

import pytest

from deskpilot.connectors.base import Connector
from deskpilot.connectors.records import CommentDraft, ExternalTicket, Page, TicketChanges, TicketDraft
from deskpilot.errors import NotFound
from deskpilot.tickets.enums import Priority, TicketStatus


def _end(connector: Connector) -> str | None:
    """The cursor after every ticket that exists now."""
    cursor, more = None, True
    while more:
        page: Page[ExternalTicket] = connector.tickets_since(cursor, limit=100)
        cursor, more = page.cursor, page.more
    return cursor


def check_connector_contract(connector: Connector) -> None:
    start = _end(connector)
    created = connector.create_ticket(TicketDraft(subject="Printer offline", description="The printer on floor 3.",
                                                  priority=Priority.P3))
    assert (created.subject, created.priority) == ("Printer offline", Priority.P3)
    assert created.status in (TicketStatus.NEW, TicketStatus.OPEN)

    note = connector.add_comment(created.external_id, CommentDraft(body="Restarted the spooler.", public=False))
    updated = connector.update_ticket(created.external_id, TicketChanges(priority=Priority.P1))
    read = connector.ticket(created.external_id)

    assert updated.priority is Priority.P1 and read.priority is Priority.P1
    assert [(c.external_id, c.body, c.public) for c in read.comments] == [(note.external_id, note.body, False)]
    assert any(entry.field == "priority" for entry in read.history)
    changed = connector.tickets_since(start, limit=100)
    assert [t.external_id for t in changed.items] == [created.external_id], "a ticket changed thrice is listed once"
    assert connector.tickets_since(changed.cursor, limit=100).items == ()
    with pytest.raises(NotFound):
        connector.ticket("999999999")
