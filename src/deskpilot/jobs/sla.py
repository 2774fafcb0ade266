"""The periodic SLA sweep as a job: the use case `deskpilot sla sweep` runs, every five minutes by default."""

from __future__ import annotations

from deskpilot.clock import utcnow
from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.tickets.escalation import sweep

_DEFAULT_INTERVAL_SECONDS = 300.0


@job("sla.sweep", every=lambda _settings: _DEFAULT_INTERVAL_SECONDS)
def sweep_sla(context: JobContext, _payload: Payload) -> str:
    """Refresh every open ticket's SLA clocks and raise due escalations, in one unit of work."""
    with context.unit_of_work() as session:
        report = sweep(session, now=utcnow())
    return report.summary()
