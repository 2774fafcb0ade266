"""Engine, session factory and the declarative base. SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, Enum, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from deskpilot.errors import DomainError

# The execution option that marks a connection whose transactions will write (see `session_factory`).
WRITES_OPTION = "deskpilot_writes"

# How long a SQLite writing transaction waits for its turn in this process before it fails as transient.
WRITER_WAIT_SECONDS = 120.0
_HOLDS_TURN = "deskpilot_holds_writer_turn"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def enum_column(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column stored as its string values (VARCHAR + CHECK, no native PG type)."""
    return Enum(enum_cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                length=32, validate_strings=True)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite keeps no zone: store naive UTC, return aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use deskpilot.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 30) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout for several processes.

    The pool holds `pool_size + max_overflow` connections; the web app admits fewer requests than that at
    once (`api.admission`), so a request never waits for a connection that another waiting request holds.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        pool: dict[str, int] = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": pool_size, "max_overflow": max_overflow}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        turns = WriterTurns()
        event.listen(engine, "begin", turns.begin)
        event.listen(engine, "commit", turns.end)
        event.listen(engine, "rollback", turns.end)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=60)


def server_slots(url: str) -> int:
    """Connections the PostgreSQL server of `url` lets ordinary clients open: max_connections less the slots kept
    for superusers."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            limit = int(connection.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    finally:
        engine.dispose()
    return limit - reserved


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite starts transactions lazily, before the first write, so a SAVEPOINT taken earlier would be
    # the outermost transaction. Let SQLAlchemy emit BEGIN itself (see WriterTurns.begin) instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class WriterTurns:
    """The writing transactions of one SQLite database in this process take turns (see `session_factory`).

    A deferred transaction that read first cannot start writing once another writer has committed: SQLite
    answers "database is locked" at once, without waiting. A transaction meant to write therefore takes its
    turn here, then SQLite's write lock with BEGIN IMMEDIATE (which still waits on other processes up to the
    busy timeout). Waiting here is not bounded by the 30 s busy timeout, which a queue of slow writers
    exceeded; after `WRITER_WAIT_SECONDS` the request fails as transient (503). Readers never wait.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITES_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=WRITER_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        connection.info[_HOLDS_TURN] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Connection) -> None:
        if connection.info.pop(_HOLDS_TURN, False):
            self._lock.release()


def is_transient(exc: DBAPIError) -> bool:
    """Whether trying again later may succeed: a lost or terminated connection, a deadlock or serialisation
    victim, or SQLite's write lock still held when the busy timeout ran out."""
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(text in str(exc.orig) for text in ("database is locked", "database table is locked"))
    return True


def session_factory(engine: Engine, *, writes: bool = False) -> sessionmaker[Session]:
    """Sessions on `engine`; with `writes`, each transaction queues for SQLite's write lock when it begins.

    Use `writes` for a unit of work that will write (a POST, a job): writers then take turns instead of
    failing. Read-only units of work stay concurrent. PostgreSQL ignores the option.
    """
    bind = engine.execution_options(**{WRITES_OPTION: True}) if writes else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally or with a `recorded` refusal; roll back otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except DomainError as exc:
        if exc.recorded:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
