"""How a job's declarations become procrastinate's: intervals as cron, periodic ticks as slots, the retry policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from procrastinate.jobs import Job as QueuedJob

from deskpilot.errors import InvalidInput
from deskpilot.jobs.base import RetryPolicy
from deskpilot.jobs.procrastinate_queue import PolicyRetry, conninfo, cron_of, payload_of


@pytest.mark.parametrize(("interval", "cron"), [(30, "* * * * * */30"), (60, "*/1 * * * *"), (300, "*/5 * * * *"),
                                                 (3600, "0 */1 * * *"), (21600, "0 */6 * * *"), (86400, "0 0 * * *")])
def test_intervals_that_divide_a_minute_an_hour_or_a_day_become_cron(interval: int, cron: str) -> None:
    assert cron_of("sla.sweep", interval) == cron


def test_an_interval_cron_cannot_express_is_refused_with_what_to_use() -> None:
    with pytest.raises(InvalidInput, match=r"'sla\.sweep' runs every 420 s.*DESKPILOT_JOB_INTERVALS"):
        cron_of("sla.sweep", 420)


def test_a_periodic_tick_becomes_the_slot_the_in_process_worker_uses() -> None:
    tick = int(datetime(2026, 12, 3, 9, 0, tzinfo=UTC).timestamp())
    assert payload_of({"timestamp": tick}) == {"slot": "2026-12-03T09:00:00+00:00"}
    assert payload_of({"run": "r1"}) == {"run": "r1"}


def test_the_jobs_retry_policy_decides_procrastinates_retries() -> None:
    retry = PolicyRetry(RetryPolicy(max_attempts=3, backoff_seconds=10))
    job = QueuedJob(id=1, queue="default", lock=None, queueing_lock=None, task_name="x", attempts=0)
    first = retry.get_retry_decision(exception=ConnectionError("down"), job=job)
    assert first is not None and first.retry_at is not None
    assert retry.get_retry_decision(exception=InvalidInput("wrong"), job=job) is None  # not retried
    assert retry.get_retry_decision(exception=ConnectionError("down"), job=job.evolve(attempts=2)) is None


def test_a_sqlalchemy_url_becomes_a_libpq_one_and_sqlite_is_refused() -> None:
    assert conninfo("postgresql+psycopg://desk:pw@db:5432/desk") == "postgresql://desk:pw@db:5432/desk"
    with pytest.raises(InvalidInput, match="needs PostgreSQL"):
        conninfo("sqlite:///var/deskpilot.db")
