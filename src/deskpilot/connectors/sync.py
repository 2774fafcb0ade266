"""Two-way sync, for a desk that moves to deskpilot while its ITSM stays the system of record for a time.

A pass (`deskpilot connectors sync NAME`, the `connectors.sync` job) first reads the ITSM's tickets changed since
the sync's cursor (`connector_cursors`, stream `sync`): an open ticket not linked yet is opened in the desk with its
comments and linked (`connector_sync_links`); a linked one is brought into step (sync_ticket.py). It then brings
into step the linked tickets changed in the desk since their last sync (fields, or messages not on the ITSM yet).

Changes go to the ITSM only while the governance switch `itsm_write_back` (the overlay's) is `auto` for the
connector (scope `channel:<connector>`, else everywhere); otherwise the sync is one-way, ITSM into deskpilot, and
the desk's changes wait, not lost, until it is. The rules for conflicts are in sync_rules.py and
docs/connectors.md.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.connectors.base import Connector
from deskpilot.connectors.importing import Progress, UnitOfWork, save_cursor, saved_cursor
from deskpilot.connectors.models import SyncComment, SyncLink
from deskpilot.connectors.storing import Skipped
from deskpilot.connectors.sync_rules import Ownership
from deskpilot.connectors.sync_ticket import SyncReport, TicketSync
from deskpilot.connectors.sync_values import Directory
from deskpilot.errors import NotFound, ProviderError
from deskpilot.tickets.models import Ticket, TicketMessage

STREAM = "sync"
WritesBack = Callable[[Session], bool]


def changed_in_desk(session: Session, connector: str) -> list[str]:
    """The ITSM ids of linked tickets changed in the desk since their last sync, or with a message not yet synced."""
    unsynced = exists(select(TicketMessage.id).where(
        TicketMessage.ticket_id == SyncLink.ticket_id,
        ~exists(select(SyncComment.id).where(SyncComment.message_id == TicketMessage.id))))
    query = (select(SyncLink.external_id).join(Ticket, Ticket.id == SyncLink.ticket_id)
             .where(SyncLink.connector == connector, or_(Ticket.updated_at > SyncLink.synced_at, unsynced))
             .order_by(SyncLink.id))
    return list(session.scalars(query))


def _pull(sync: TicketSync, units: UnitOfWork, page_size: int, progress: Progress) -> None:
    name = sync.connector.name
    with units() as session:
        cursor = saved_cursor(session, key=name, stream=STREAM)
    while True:
        page = sync.connector.tickets_since(cursor, limit=page_size)
        for ticket in page.items:
            sync.reconcile(ticket)
        sync.report.read += len(page.items)
        if page.cursor is not None and page.cursor != cursor:
            with units() as session:
                save_cursor(session, key=name, stream=STREAM, cursor=page.cursor)
        progress(f"sync: {sync.report.read} ITSM tickets read, {sync.report.linked} linked")
        if not page.more:
            return
        cursor = page.cursor


def _push(sync: TicketSync, units: UnitOfWork, progress: Progress) -> None:
    with units() as session:
        changed = [e for e in changed_in_desk(session, sync.connector.name) if e not in sync.reconciled]
    for number, external_id in enumerate(changed, 1):
        try:
            remote = sync.connector.ticket(external_id)
        except NotFound:
            sync.report.skipped.append(Skipped("ticket", external_id, f"no longer in {sync.connector.name}"))
            continue
        sync.reconcile(remote)
        if number % 20 == 0 or number == len(changed):
            progress(f"sync: {number} of {len(changed)} tickets changed in deskpilot brought into step")


def run_sync(*, units: UnitOfWork, connector: Connector, ownership: Ownership, writes_back: WritesBack,
             actor: Principal, page_size: int = 50, progress: Progress = lambda _: None) -> SyncReport:
    """One pass. Stops at the first request the ITSM cannot answer (report.stopped); what was done stays done, and
    the next pass resumes: the cursor only moves past pages whose tickets were brought into step."""
    report = SyncReport()
    try:
        groups = {g.external_id: g.name for g in connector.groups()}
        with units() as session:
            directory = Directory.read(session, vendor=connector.name, groups=groups)
            write_back = writes_back(session)
        sync = TicketSync(units=units, connector=connector, ownership=ownership, directory=directory, actor=actor,
                          write_back=write_back, report=report)
        _pull(sync, units, page_size, progress)
        _push(sync, units, progress)
    except ProviderError as exc:
        report.stopped = exc.message
    return report
