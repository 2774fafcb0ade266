"""The triage retrain as a job: what `deskpilot train triage` does, so newly resolved tickets and agents'
corrections reach the learned model without anyone running a command. Not periodic unless the desk schedules
it (`DESKPILOT_JOB_INTERVALS='{"triage.retrain": 86400}'` for nightly); it can also be enqueued on demand. The
new category model is promoted only when it beats cold start out of fold (triage/training.py)."""

from __future__ import annotations

import logging

from deskpilot.errors import InvalidInput
from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.triage.training import train_from_history

log = logging.getLogger(__name__)


def _progress(context: JobContext, line: str) -> None:
    log.info(line)
    context.progress(line)


@job("triage.retrain")
def retrain_triage(context: JobContext, _payload: Payload) -> str:
    """Train triage on the desk's resolved tickets and refresh the similar-tickets index, in one unit of work.
    A desk without enough history keeps cold start; that is an outcome, not a failure to retry."""
    engine = context.runtime.triage
    with context.unit_of_work() as session:
        try:
            trained = train_from_history(session, context.settings, embedder=engine.embedder, promote=True,
                                         progress=lambda line: _progress(context, line))
        except InvalidInput as exc:
            return f"kept cold start: {exc.message}"
        engine.tickets.refresh(session)
    return "; ".join(f"{t.component} {t.version} on {t.examples} tickets" for t in trained)
