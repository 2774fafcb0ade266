"""Finding jobs through the `deskpilot.jobs` entry point group.

An entry point names a `Job` (usually a `JobDefinition` made by `@job`) whose `name` is the entry point's
name, so a job is registered in exactly one place: its package's metadata. A new job is a new function and
one line in pyproject.toml, not an edit of the worker.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from deskpilot.errors import InvalidInput
from deskpilot.jobs.base import Job

GROUP = "deskpilot.jobs"
log = logging.getLogger(__name__)


def load_jobs() -> dict[str, Job]:
    """Every installed job by name; an entry point must name a Job of the same name."""
    found: dict[str, Job] = {}
    for point in entry_points(group=GROUP):
        candidate = point.load()
        if not isinstance(candidate, Job) or candidate.name != point.name:
            raise TypeError(f"entry point {point.name!r} in {GROUP} must name a Job called {point.name!r}")
        found[point.name] = candidate
    log.debug("jobs: %s", ", ".join(sorted(found)))
    return found


def get_job(jobs: dict[str, Job], name: str) -> Job:
    """The job called `name`, or InvalidInput listing the installed ones."""
    if name not in jobs:
        raise InvalidInput(f"There is no job {name!r}; installed: {', '.join(sorted(jobs)) or 'none'}.")
    return jobs[name]
