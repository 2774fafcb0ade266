"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at DESKPILOT_TEST_POSTGRES_URL (default: the local server, database `test`); each
test session creates its own throw-away database there. Outside CI a missing server skips those tests;
in CI (CI=true) it fails them, so the PostgreSQL half can never silently vanish.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from deskpilot.accounts.passwords import configure_hasher
from deskpilot.audit.keyring import AuditKeyring, use_keyring
from deskpilot.clock import set_clock
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.demo.loader import load_demo
from deskpilot.encryption_keys import Keyring
from deskpilot.migrations import upgrade
from deskpilot.runtime import AiRuntime, build_runtime
from deskpilot.schema import metadata
from deskpilot.sealed_storage import use_loader

# Cheap argon2 in tests: the cost parameters are configuration, the algorithm is the same. Set in the environment
# too, so that every Settings built in a test (an app, an in-process CLI run) and every subprocess keeps it.
os.environ.setdefault("DESKPILOT_PASSWORD_TIME_COST", "1")
os.environ.setdefault("DESKPILOT_PASSWORD_MEMORY_KIB", "64")
configure_hasher(time_cost=1, memory_kib=64)

# The audit key of the test process; the CLI subprocesses of tests get it as DESKPILOT_AUDIT_KEY.
TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"
_SESSION_KEYRING = AuditKeyring(TEST_AUDIT_KEY.encode(),
                                Path(tempfile.gettempdir()) / f"deskpilot-test-audit-{os.getpid()}")
use_keyring(_SESSION_KEYRING)

# The encryption key of the test processes (message bodies and files are sealed at rest): every Settings built in
# a test, and every CLI or server subprocess, reads it from the environment, so they all open what others sealed.
TEST_ENCRYPTION_KEYS = {"test": "dGVzdC1lbmNyeXB0aW9uLWtleS0wMTIzNDU2Nzg5YWI="}
os.environ.setdefault("DESKPILOT_ENCRYPTION_KEYS", json.dumps(TEST_ENCRYPTION_KEYS))
T = TypeVar("T")
pytest_plugins = ["tests.file_order"]

PG_ADMIN_URL = os.environ.get("DESKPILOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_database() -> Iterator[str]:
    name = f"deskpilot_test_{secrets.token_hex(4)}"
    try:
        admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means the same here
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    """A new database of `kind` ("sqlite" in `directory`, or "postgresql", dropped afterwards) at head."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'deskpilot.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


class KeptPerKind:
    """Session resources of each database kind, kept until the test session ends.

    pytest tears a parametrized session fixture down whenever the next test wants the other parameter. Under
    `--dist loadfile` a worker runs each file's SQLite tests, then its PostgreSQL ones, so the kind changes at
    nearly every file: without this, every file would migrate two new databases and start new servers. The
    fixtures built on `database_url` keep theirs here instead: one migrated database, one engine and one live
    server of each kind per test session (per xdist worker), as a run without xdist already has."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._kept: dict[tuple[str, str], Any] = {}

    def get(self, key: tuple[str, str], make: Callable[[], AbstractContextManager[T]]) -> T:
        """The resource kept under `key`, entering the context manager `make()` on first use."""
        if key not in self._kept:
            self._kept[key] = self._stack.enter_context(make())
        return cast(T, self._kept[key])


@pytest.fixture(scope="session")
def kept_per_kind() -> Iterator[KeptPerKind]:
    with ExitStack() as stack:
        yield KeptPerKind(stack)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 kept_per_kind: KeptPerKind) -> str:
    """A migrated, empty database of each kind for this test session."""
    kind: str = request.param
    return kept_per_kind.get(("database", kind),
                             lambda: contextmanager(migrated_database)(kind, tmp_path_factory.mktemp("db")))


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str, kept_per_kind: KeptPerKind) -> Engine:
    return kept_per_kind.get(("engine", database_url), lambda: _engine(database_url))


@contextmanager
def _loaded_demo(kind: str, directory: Path) -> Iterator[Engine]:
    for url in migrated_database(kind, directory):
        with _engine(url) as engine:
            with session_factory(engine)() as db:
                load_demo(db)
                db.commit()
            yield engine


@pytest.fixture(scope="session")
def demo_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory, kept_per_kind: KeptPerKind) -> Engine:
    """A database of each kind apart from `engine`'s, holding the whole Northwind demo (history included):
    loaded once per test session instead of once per test, as loading it takes tens of seconds."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    return kept_per_kind.get(("demo", kind), lambda: _loaded_demo(kind, tmp_path_factory.mktemp("demo-db")))


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the loaded demo. The test must not commit: what it changes is rolled back afterwards, so
    every test sees the demo as `load_demo` left it."""
    with session_factory(demo_engine)() as db:
        yield db
        db.rollback()


def wipe(engine: Engine) -> None:
    """Empty every table. On PostgreSQL the audit table refuses DELETE (migration 0012) unless the
    transaction sets `deskpilot.audit_maintenance`; only this wipe and erasure tooling may set it."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL deskpilot.audit_maintenance = 'on'"))
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def ai_runtime(tmp_path_factory: pytest.TempPathFactory) -> AiRuntime:
    """One AI runtime for the whole test session (no triage model trained in its data directory)."""
    return build_runtime(Settings(environment=Environment.TEST, data_dir=tmp_path_factory.mktemp("runtime-var")))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on an emptied database; the test commits what it wants to keep."""
    wipe(engine)
    factory = session_factory(engine)
    with factory() as db:
        yield db


def _test_keyring() -> Keyring:
    return Keyring.from_settings(Settings(environment=Environment.TEST, encryption_keys=TEST_ENCRYPTION_KEYS))


use_loader(_test_keyring)


@pytest.fixture(autouse=True)
def sealing_keys() -> Iterator[None]:
    """Bodies and files sealed with the test key again after a test that configured other keys (a CLI run)."""
    yield
    use_loader(_test_keyring)


@pytest.fixture(autouse=True)
def audit_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditKeyring]:
    """The test key, and a checkpoint directory of this test's own (created only when a test writes one)."""
    keyring = AuditKeyring(TEST_AUDIT_KEY.encode(), tmp_path_factory.getbasetemp() / "audit" / secrets.token_hex(6))
    use_keyring(keyring)
    yield keyring
    use_keyring(_SESSION_KEYRING)


class FrozenClock:
    """A controllable clock: `now` stays put until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    set_clock(frozen)
    yield frozen
    set_clock(None)


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
