"""The ticket search over sealed subjects and descriptions returns what the former SQL search (every word a
case-insensitive LIKE on subject or description) returned on the same tickets stored in plain text."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.privacy.resealing import reseal_values
from deskpilot.schema import metadata
from deskpilot.sealed_storage import open_text
from deskpilot.tickets import service
from tests.factories import make_desk, open_ticket

TICKETS = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("subject", sa.Text()),
                   sa.column("description", sa.Text()), sa.column("created_at", sa.DateTime()))
QUERIES = ["printer", "FLOOR 3", "jam", "toner laser", "ser", "vpn office", "nothing-like-this", "Printer jam floor"]


def _former_search(session: Session, query: str) -> list[int]:
    """The SQL search before encryption at rest, on the rows as stored (plain text in the mixed state)."""
    select = sa.select(TICKETS.c.id).order_by(TICKETS.c.created_at.desc(), TICKETS.c.id.desc())
    for term in query.split()[:8]:
        pattern = f"%{term.lower()}%"
        select = select.where(sa.or_(sa.func.lower(TICKETS.c.subject).like(pattern),
                                     sa.func.lower(TICKETS.c.description).like(pattern)))
    return list(session.scalars(select))


def _search(session: Session, principal: Principal, query: str) -> list[int]:
    rows, total = service.get_all(session, actor=principal, search=query, limit=100)
    assert total == len(rows)
    return [ticket.id for ticket in rows]


def test_the_search_over_sealed_texts_finds_what_the_sql_search_found(session: Session) -> None:
    desk = make_desk(session)
    texts = [("Printer jam on floor 3", "The laser printer eats paper"), ("Toner low", "Laser printer on floor 2"),
             ("VPN drops", "At the office since Monday"), ("New user", "Please set up a laptop for the office"),
             ("Paper JAM", "floor 3 again, printer by the window"), ("Password reset", "Locked out of the VPN")]
    for subject, description in texts:
        open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=subject, description=description)
    session.flush()
    lena = Principal.of(desk.lena)
    sealed = session.execute(sa.select(TICKETS.c.subject, TICKETS.c.description)).all()
    assert all(value.startswith("enc:v1:") for row in sealed for value in row)

    # The same tickets in plain text, as stored before encryption: the former SQL search can run on them.
    for ticket_id, subject, description in session.execute(sa.select(TICKETS.c.id, TICKETS.c.subject,
                                                                      TICKETS.c.description)).all():
        session.execute(TICKETS.update().where(TICKETS.c.id == ticket_id).values(
            subject=open_text(subject), description=open_text(description)))
    session.expire_all()
    former = {query: _former_search(session, query) for query in QUERIES}
    assert former["printer"] and former["FLOOR 3"] and not former["nothing-like-this"]
    assert {query: _search(session, lena, query) for query in QUERIES} == former

    assert reseal_values(session, metadata) >= 2 * len(texts)
    session.expire_all()
    assert {query: _search(session, lena, query) for query in QUERIES} == former
