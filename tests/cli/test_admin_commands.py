"""The operator's commands: init, users, tokens, demo loading, SLA sweep, and clear errors on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.cli import main
from deskpilot.tickets.models import Ticket


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, session: Session, tmp_path: Path) -> None:
    del session  # the fixture empties the database first
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path))  # the audit key and checkpoints of this test only
    monkeypatch.setenv("DESKPILOT_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("DESKPILOT_PASSWORD_MEMORY_KIB", "64")
    # The demo's reindex would also compute the KB's multilingual vectors (minutes on busy cores);
    # tests/kb/test_indexing.py proves that part on a small KB.
    monkeypatch.setenv("DESKPILOT_MULTILINGUAL_MODEL", "")


def test_users_create_and_token(env: None, session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    assert main(["users", "create", "erin", "--email", "erin@northwind.example", "--role", "agent",
                 "--password", "Sturdy-Passw0rd"]) == 0
    assert main(["users", "token", "erin"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("dp_") and len(token) > 30
    assert session.scalar(select(User.role).where(User.username == "erin")) == "agent"


def test_bad_cli_input_is_a_clear_error_and_creates_nothing(env: None, session: Session,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "create", "Bad Name", "--email", "x@northwind.example", "--role", "agent"]) == 2
    assert "username" in capsys.readouterr().err
    assert main(["users", "create", "frank", "--email", "not-an-email", "--role", "agent"]) == 2
    assert main(["users", "create", "frank", "--email", "f@northwind.example", "--role", "agent",
                 "--password", "short"]) == 2
    assert "The password needs" in capsys.readouterr().err
    assert main(["users", "token", "ghost"]) == 2
    assert "No user 'ghost'" in capsys.readouterr().err
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_bad_configuration_names_the_variable(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", "mysql://nope")
    assert main(["init"]) == 2
    assert "DESKPILOT_DATABASE_URL" in capsys.readouterr().err
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", "")
    monkeypatch.setenv("DESKPILOT_ENVIRONMENT", "production")
    assert main(["init"]) == 2
    assert "DESKPILOT_SECRET_KEY" in capsys.readouterr().err


def test_demo_loads_a_believable_desk_is_idempotent_and_serves_it(env: None, session: Session,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["demo", "--no-serve"]) == 0
    first = capsys.readouterr().out
    assert "maria.lopez" in first and "Northwind-Demo-2026" in first
    users = session.scalar(select(func.count()).select_from(User))
    tickets = session.scalar(select(func.count()).select_from(Ticket))
    assert users is not None and users >= 12
    assert tickets is not None and tickets >= 300
    assert main(["demo", "--no-serve"]) == 0
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Ticket)) == tickets
    assert main(["sla", "sweep"]) == 0
    assert "open tickets" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0
    # `make demo` runs `deskpilot demo`: once loaded, it reaches the server with serve's arguments (it once failed
    # there, after loading everything, on an argument only `serve` had).
    served: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    assert main(["demo", "--port", "8123"]) == 0
    assert len(served) == 1 and served[0]["port"] == 8123 and served[0]["host"] == "127.0.0.1"
