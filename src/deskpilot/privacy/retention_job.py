"""Retention as a daily job: what `deskpilot privacy retention` does, on the worker's schedule."""

from __future__ import annotations

from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.privacy.retention import apply_retention

_DAILY_SECONDS = 86_400.0


@job("privacy.retention", every=lambda _settings: _DAILY_SECONDS)
def apply_retention_daily(context: JobContext, _payload: Payload) -> str:
    """Remove what is past its retention period, in one unit of work (audited)."""
    with context.unit_of_work() as session:
        report = apply_retention(session, settings=context.settings, actor=Principal.system("retention"),
                                 now=utcnow())
    return report.summary()
