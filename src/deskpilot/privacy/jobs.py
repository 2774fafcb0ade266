"""`privacy.erase`: runs approved erasures step by step, each step in its own unit of work, so a crash or a
stopped worker resumes at the step in flight. Periodic (every minute by default), because an approval is a
row in the database that any app process can write, not a message to this worker. Each tick first re-files
the erasures the ledger holds whose person a restore brought back (`privacy.ledger`)."""

from __future__ import annotations

import logging
from functools import partial

from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.privacy import erasure, ledger
from deskpilot.privacy.sources import all_sources

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60.0


@job("privacy.erase", every=lambda _settings: INTERVAL_SECONDS)
def erase_people(context: JobContext, _payload: Payload) -> str:
    """Finish every approved or interrupted erasure; one line per erasure for the worker's log."""
    steps = erasure.ErasureContext(settings=context.settings, embedder=context.runtime.embedder,
                                   sources=all_sources())
    with context.unit_of_work() as session:
        reapplied = ledger.reapply(session, context.settings)
        pending = erasure.runnable(session)
    if reapplied:
        log.warning("%d erasure(s) re-applied from the ledger: a restore brought erased people back", len(reapplied))
    for erasure_id in pending:
        erasure.run(context.sessions, steps, erasure_id=erasure_id, progress=partial(_log_step, erasure_id))
    return f"erased {len(pending)} person(s)" if pending else "no approved erasure waiting"


def _log_step(erasure_id: int, step: str) -> None:
    log.info("erasure %d: %s done", erasure_id, step)
