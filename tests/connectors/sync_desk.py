"""Running sync passes against a fake vendor server in the tests, and reading what each side holds."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.connectors import importing
from deskpilot.connectors.base import Connector
from deskpilot.connectors.models import SyncConflict, SyncLink
from deskpilot.connectors.storing import Target
from deskpilot.connectors.sync import run_sync
from deskpilot.connectors.sync_job import SYNC, writes_back
from deskpilot.connectors.sync_rules import Ownership
from deskpilot.connectors.sync_ticket import SyncReport
from deskpilot.db import session_factory, unit_of_work
from deskpilot.tickets.models import Ticket, TicketMessage


class SyncedDesk:
    """The desk's database seen by passes of the sync against one connector."""

    def __init__(self, engine: Engine, connector: Connector, data_dir: Path,
                 ownership: Ownership | None = None) -> None:
        self.factory = session_factory(engine, writes=True)
        self.connector, self.ownership = connector, ownership or Ownership()
        target = Target(vendor=connector.name, actor=SYNC, data_dir=data_dir, max_attachment_bytes=1024 * 1024)
        importing.run_import(units=self.units, connector=connector, target=target, key=connector.name,
                             streams=("users",))

    def units(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.factory)

    def sync(self) -> SyncReport:
        return run_sync(units=self.units, connector=self.connector, ownership=self.ownership,
                        writes_back=writes_back(self.connector.name), actor=SYNC, page_size=3)


def quiet(report: SyncReport) -> bool:
    """Nothing was written to either side."""
    return (report.to_desk, report.to_itsm, report.comments_in, report.comments_out, report.conflicts,
            report.stopped) == (0, 0, 0, 0, 0, None)


def linked_ticket(session: Session, vendor: str, external_id: object) -> Ticket:
    """The desk ticket linked to the vendor's `external_id`, as committed now."""
    session.rollback()
    session.expire_all()
    return session.scalars(select(Ticket).where(Ticket.external_id == f"{vendor}:{external_id}")).one()


def thread(session: Session, ticket_id: int) -> list[tuple[str, str]]:
    return [(m.kind.value, m.body) for m in session.scalars(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))]


def conflicts(session: Session, ticket_id: int) -> list[tuple[str, str | None, str | None, str, str]]:
    session.rollback()
    rows = session.scalars(select(SyncConflict).join(SyncLink, SyncLink.id == SyncConflict.link_id)
                           .where(SyncLink.ticket_id == ticket_id).order_by(SyncConflict.id))
    return [(c.field, c.kept, c.lost, c.lost_side.value, c.rule.value) for c in rows]
