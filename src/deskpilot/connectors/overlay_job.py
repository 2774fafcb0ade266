"""The overlay as a periodic job (`connectors.overlay`, in the `deskpilot.jobs` entry point group): a pass over
every connection with `"overlay": "on"`, or the one named in the payload (`{"connector": "zendesk"}`, as the
webhook enqueues it), every `DEFAULT_INTERVAL_SECONDS` unless `DESKPILOT_JOB_INTERVALS` says otherwise."""

from __future__ import annotations

from deskpilot.config import Settings
from deskpilot.connectors.overlay_runner import overlaid, overlay_once
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.jobs.base import JobContext, Payload, RetryPolicy, job

DEFAULT_INTERVAL_SECONDS = 60.0


def _every(settings: Settings) -> float | None:
    return DEFAULT_INTERVAL_SECONDS if overlaid(settings.connectors) else None


@job("connectors.overlay", every=_every, retry=RetryPolicy(max_attempts=3, backoff_seconds=60.0))
def overlay_poll(context: JobContext, payload: Payload) -> str:
    """One pass per overlaid connection; a pass the ITSM stopped makes the run fail (and retry: it resumes)."""
    named = payload.get("connector")
    if named is not None and not isinstance(named, str):
        raise InvalidInput("The payload's connector must be a connection's name.")
    names = [named] if named else overlaid(context.settings.connectors)
    summaries, stopped = [], []
    for name in names:
        report = overlay_once(settings=context.settings, runtime=context.runtime, units=context.unit_of_work,
                              name=name)
        summaries.append(f"{name}: {report.summary()}")
        if report.stopped:
            stopped.append(name)
    if stopped:
        raise ProviderError(f"{'; '.join(summaries)}", retryable=True)
    return "; ".join(summaries) or "no connection has the overlay on"
