"""A desk upgraded to encryption at rest keeps working in the mixed state: values stored before it read as they
are (and the search finds them) until the migration or `privacy reseal` seals them; a key another process adds
to the key file is picked up when a value sealed with it is read (rotation without downtime)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine
from deskpilot.encryption_keys import Keyring, add_key
from deskpilot.migrations import alembic_config, upgrade
from deskpilot.privacy.resealing import reseal_values
from deskpilot.schema import metadata
from deskpilot.sealed_storage import configure_sealing, open_text, seal_text
from deskpilot.tickets import service as tickets
from deskpilot.tickets.schemas import MessageCreate
from tests.conftest import _postgres_database
from tests.factories import make_desk, open_ticket

LEGACY = "LEGACY-PLAIN-MARKER-9e2b"
MESSAGES = sa.table("ticket_messages", sa.column("id", sa.Integer()), sa.column("body", sa.Text()))
DECISIONS = sa.table("ai_decisions", sa.column("id", sa.Integer()), sa.column("input_redacted", sa.Text()))


def test_values_stored_before_encryption_read_and_are_found_until_resealed(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, description="sealed from the start")
    message = tickets.add_message(session, actor=Principal.of(desk.carol), ticket_id=ticket.id,
                                  data=MessageCreate(body="sealed reply"))
    session.execute(MESSAGES.update().where(MESSAGES.c.id == message.id).values(body=f"old reply {LEGACY}"))
    session.flush()
    session.expire_all()

    assert [m.body for m in tickets.get(session, actor=Principal.of(desk.carol), ticket_id=ticket.id).messages
            ] == [f"old reply {LEGACY}"]
    stored = session.execute(sa.select(MESSAGES.c.body)).scalars().all()
    assert stored == [f"old reply {LEGACY}"], "the mixed state: this row predates sealing"

    assert reseal_values(session, metadata) >= 1
    session.expire_all()
    stored = session.execute(sa.select(MESSAGES.c.body)).scalars().all()
    assert all(value.startswith("enc:v1:test:") for value in stored) and LEGACY not in "".join(stored)
    assert session.get(type(message), message.id).body == f"old reply {LEGACY}"  # type: ignore[union-attr]
    assert reseal_values(session, metadata) == 0, "what is sealed with the current key stays as it is"


def test_a_key_added_by_another_process_opens_here_without_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKPILOT_ENCRYPTION_KEYS")
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path)
    configure_sealing(settings)
    before = seal_text("sealed before the rotation")
    assert before.startswith("enc:v1:k1:")

    assert add_key(settings) == "k2"  # `deskpilot privacy rotate-key` in another process ...
    after = Keyring.from_settings(settings).seal("sealed by the other process")  # ... which seals with it

    assert open_text(after) == "sealed by the other process" and open_text(before) == "sealed before the rotation"
    assert seal_text("x").startswith("enc:v1:k2:"), "once read, the new key seals here too"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    yield from _postgres_database()


def test_the_migration_seals_what_was_stored_before_and_its_downgrade_opens_it(empty_database: str) -> None:
    upgrade(empty_database, "0037")
    engine: Engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO ai_decisions (kind, model_version, input_hash, input_redacted, outputs, confidence, "
                "abstained, sources, explanation, created_at) VALUES ('triage', 'm', 'h', :text, '{}', 0.5, "
                "false, '[]', '{}', :at)"), {"text": f"printer jams {LEGACY}", "at": datetime.now(UTC)})
        upgrade(empty_database)
        with engine.connect() as connection:
            stored = connection.execute(sa.select(DECISIONS.c.input_redacted)).scalar_one()
        assert stored.startswith("enc:v1:test:") and open_text(stored) == f"printer jams {LEGACY}"
        command.downgrade(alembic_config(empty_database), "0037")
        with engine.connect() as connection:
            assert connection.execute(sa.select(DECISIONS.c.input_redacted)).scalar_one() == f"printer jams {LEGACY}"
    finally:
        engine.dispose()
