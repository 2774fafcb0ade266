"""What the ITSM connectors hold about a person: the links from vendor users to their account, and the overlay's
rows about ITSM tickets whose stored note (the triage, the draft reply, the similar tickets) names them.
Registered in the `deskpilot.personal_data` entry point group.

Erasing scrubs the person's identifiers from the overlay rows. The notes the overlay already wrote into an ITSM
are the ITSM's records: no connector can delete a comment there, so the erasure lists them (connector and ticket
number) for the desk to remove in the ITSM. The links stay: they point at the pseudonymised account, so a later
import of the vendor's users maps the person to it instead of bringing them back as a new account.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.connectors.enums import OverlayState
from deskpilot.connectors.models import ConnectorLink, OverlayTicket
from deskpilot.connectors.storing import USER
from deskpilot.personal_data import Change, Erasure, FunctionSource, Person, Section, columns, identifiers_of


def _links(session: Session, person: Person) -> list[ConnectorLink]:
    return list(session.scalars(select(ConnectorLink).where(ConnectorLink.kind == USER,
                                                            ConnectorLink.local_id == person.user_id)
                                .order_by(ConnectorLink.id)))


def _naming(session: Session, erasure: Erasure) -> list[OverlayTicket]:
    return [row for row in session.scalars(select(OverlayTicket).order_by(OverlayTicket.id))
            if erasure.scrub_json(row.suggested) != row.suggested or erasure.scrub_json(row.kept) != row.kept]


def collect(session: Session, *, person: Person) -> Section:
    rows = _naming(session, Erasure(person, identifiers_of(person)))
    return Section(
        name="connectors", description="Links from the person's user record in a connected ITSM to their "
        "account, and the overlay's triage notes on ITSM tickets that name them.",
        records={"connector_links": [columns(link) for link in _links(session, person)],
                 "overlay_tickets": [columns(row) for row in rows]},
        subjects={("itsm_ticket", f"{row.connector}:{row.external_id}") for row in rows})


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    rows = _naming(session, erasure)
    written = [row for row in rows if row.state is OverlayState.WRITTEN]
    if apply:
        for row in rows:
            row.suggested, row.kept = erasure.scrub_json(row.suggested), erasure.scrub_json(row.kept)
        session.flush()
    changes = [Change("connectors", "overlay_tickets", len(rows), "identifiers scrubbed from the stored note"),
               Change("connectors", "connector_links", len(_links(session, erasure.person)),
                      "kept: they point at the pseudonymised account, so an import does not bring the person back")]
    by_connector: dict[str, list[str]] = {}
    for row in written:
        by_connector.setdefault(row.connector, []).append(row.number)
    changes += [Change("connectors", f"itsm_notes:{connector}", len(numbers),
                       "written into the ITSM before the erasure; deskpilot cannot delete an ITSM's comments: "
                       f"remove the [deskpilot triage] note on {', '.join(numbers)} in {connector}")
                for connector, numbers in sorted(by_connector.items())]
    return changes


SOURCE = FunctionSource("connectors", collect, eraser=erase)
