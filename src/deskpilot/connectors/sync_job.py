"""Running the two-way sync for a configured connection: the CLI (`deskpilot connectors sync`) and the periodic job
`connectors.sync` (in the `deskpilot.jobs` entry point group: a pass over every connection with `"sync": "on"`, or
the one named in the payload, every `DEFAULT_INTERVAL_SECONDS` unless `DESKPILOT_JOB_INTERVALS` says otherwise).

Each pass first reads the ITSM's users changed since the users import's cursor (as `connectors import --only users`
does), so requesters and agents of new tickets have their desk accounts.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.connectors import importing, registry
from deskpilot.connectors.importing import Progress, UnitOfWork
from deskpilot.connectors.storing import Target
from deskpilot.connectors.sync import WritesBack, run_sync
from deskpilot.connectors.sync_rules import Ownership
from deskpilot.connectors.sync_ticket import SyncReport
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.jobs.base import JobContext, Payload, RetryPolicy, job

ON = "on"
DEFAULT_INTERVAL_SECONDS = 60.0
SYNC = Principal.system("connectors-sync")


def synced(connections: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The connections whose configuration turns the sync on, sorted."""
    return sorted(name for name, config in connections.items() if config.get("sync") == ON)


def writes_back(connector: str) -> WritesBack:
    """Whether the sync may write to the ITSM now: `itsm_write_back` is auto for the connector."""
    def allowed(session: Session) -> bool:
        return switches.mode(session, Capability.ITSM_WRITE_BACK, channel=connector) is AiMode.AUTO
    return allowed


def sync_once(*, settings: Settings, units: UnitOfWork, name: str, page_size: int = 50,
              progress: Progress = lambda _: None) -> SyncReport:
    """One sync pass over connection `name`: its new users, then its tickets both ways."""
    connection = registry.connection_named(settings.connectors, name)
    ownership = Ownership.of(connection)
    connector = registry.open_connector(name, connection)
    target = Target(vendor=name, actor=SYNC, data_dir=settings.data_dir,
                    max_attachment_bytes=settings.attachment_max_bytes)
    users = importing.run_import(units=units, connector=connector, target=target, key=name, streams=("users",),
                                 page_size=page_size, progress=progress)
    if users.stopped:
        return SyncReport(stopped=users.stopped)
    return run_sync(units=units, connector=connector, ownership=ownership, writes_back=writes_back(name), actor=SYNC,
                    page_size=page_size, progress=progress)


def _every(settings: Settings) -> float | None:
    return DEFAULT_INTERVAL_SECONDS if synced(settings.connectors) else None


@job("connectors.sync", every=_every, retry=RetryPolicy(max_attempts=3, backoff_seconds=60.0))
def sync_poll(context: JobContext, payload: Payload) -> str:
    """One pass per synced connection; a pass the ITSM stopped makes the run fail (and retry: it resumes)."""
    named = payload.get("connector")
    if named is not None and not isinstance(named, str):
        raise InvalidInput("The payload's connector must be a connection's name.")
    summaries, stopped = [], False
    for name in [named] if named else synced(context.settings.connectors):
        report = sync_once(settings=context.settings, units=context.unit_of_work, name=name)
        summaries.append(f"{name}: {report.summary()}")
        stopped = stopped or report.stopped is not None
    if stopped:
        raise ProviderError("; ".join(summaries), retryable=True)
    return "; ".join(summaries) or "no connection has the sync on"
