"""Which chain a committing transaction seals its audit events into.

With one chain, every audited commit on PostgreSQL waited for the one before it to finish committing: the
next row must chain onto the last. The log is therefore several chains (`DESKPILOT_AUDIT_CHAINS`), used as
lanes: a committing transaction takes the lowest-numbered chain that no other transaction is sealing into
(`pg_try_advisory_xact_lock`), and only when every chain is taken does it wait, for one picked at random.
A quiet desk thus writes chain 0 alone, as before; under load the commits spread over the chains. A
transaction holds exactly one chain lock, so two of them can never wait for each other.

SQLite lets one writer in at a time, so a transaction there always finds chain 0 free.
"""

from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlalchemy.orm import Session

from deskpilot.config import get_settings
from deskpilot.errors import InvalidInput

MAX_CHAINS = 64
_LOCK_CLASS = 7_310_001  # the first half of every chain's advisory lock key; the chain number is the second

_FIRST_FREE = text("SELECT chain FROM generate_series(0, CAST(:last AS integer)) AS chain "
                   "WHERE pg_try_advisory_xact_lock(CAST(:class AS integer), chain) LIMIT 1")
_WAIT = text("SELECT pg_advisory_xact_lock(CAST(:class AS integer), CAST(:chain AS integer))")

_chains: int | None = None


def use_chains(count: int) -> None:
    """Spread this process's commits over `count` chains from now on (`configure_audit` sets it from Settings)."""
    global _chains
    if not 1 <= count <= MAX_CHAINS:
        raise InvalidInput(f"the audit log can use 1 to {MAX_CHAINS} chains, not {count}")
    _chains = count


def chain_count() -> int:
    """How many chains commits spread over: as configured, else the process settings'."""
    return _chains if _chains is not None else get_settings().audit_chains


def claim(session: Session) -> int:
    """Lock a chain for the rest of this transaction, the lowest-numbered free one when there is one, and
    return its number."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    count = chain_count()
    free = session.scalar(_FIRST_FREE, {"last": count - 1, "class": _LOCK_CLASS})
    if free is not None:
        return int(free)
    chain = secrets.randbelow(count)
    hold(session, chain)
    return chain


def hold(session: Session, chain: int) -> None:
    """Lock `chain` for the rest of this transaction, waiting while another transaction seals into it."""
    if not 0 <= chain < MAX_CHAINS:
        raise InvalidInput(f"audit chains are numbered 0 to {MAX_CHAINS - 1}, not {chain}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_WAIT, {"class": _LOCK_CLASS, "chain": chain})
