"""The sync is the same for every connector: against the Jira Service Management and Freshservice fakes, an open
ticket is linked, a desk reply reaches the ITSM once, and the next pass writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.connectors.models import SyncLink
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.schemas import MessageCreate
from tests.connectors.desks import vendor_desk
from tests.connectors.sync_desk import SyncedDesk, quiet
from tests.factories import make_desk


@pytest.mark.parametrize("vendor", ["jsm", "freshservice"])
def test_an_open_ticket_is_linked_and_a_desk_reply_reaches_the_itsm_once(
        vendor: str, session: Session, engine: Engine, tmp_path: Path) -> None:
    people = make_desk(session)
    session.commit()
    with vendor_desk(vendor, tickets=10, articles=0) as desk:
        connector = desk.connector()
        synced = SyncedDesk(engine, connector, tmp_path)
        first = synced.sync()
        session.rollback()
        link = session.scalars(select(SyncLink).order_by(SyncLink.id)).first()
        assert link is not None, f"{vendor}: no open ticket was linked ({first.summary()})"
        tickets.add_message(session, actor=Principal.of(people.lena), ticket_id=link.ticket_id,
                            data=MessageCreate(body="We are on it.", kind=MessageKind.PUBLIC_REPLY))
        session.commit()
        pushed = synced.sync()
        again = synced.sync()
        remote = connector.ticket(link.external_id)

    assert first.linked >= 1 and first.stopped is None
    assert pushed.comments_out == 1 and quiet(again)
    assert [c.body for c in remote.comments].count("We are on it.") == 1
