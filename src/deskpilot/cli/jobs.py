"""`deskpilot jobs list | failed`: the installed jobs, and the runs that failed for good (the dead letters)."""

from __future__ import annotations

import argparse

from deskpilot.accounts.principal import Principal
from deskpilot.cli.context import database, load_settings
from deskpilot.jobs import service
from deskpilot.jobs.registry import load_jobs


def cmd_list(_: argparse.Namespace) -> int:
    settings = load_settings()
    for name, job in sorted(load_jobs().items()):
        interval = job.interval(settings)
        when = f"every {interval:g} s" if interval else "when enqueued"
        retry = job.retry
        print(f"{name:24} {when:20} up to {retry.max_attempts} attempt(s), backoff from {retry.backoff_seconds:g} s")
    return 0


def cmd_failed(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        failed = service.get_all_failed(session, actor=Principal.system("cli"), job=args.job, limit=args.limit)
        for row in failed:
            print(f"{row.id:6} {row.failed_at:%Y-%m-%d %H:%M:%S} {row.job:20} {row.attempts} attempt(s) "
                  f"{row.idempotency_key}")
            print(f"{'':7}{row.error.splitlines()[0] if row.error else ''}")
    if not failed:
        print("no failed jobs")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = sub.add_parser("jobs", help="installed jobs and failed runs").add_subparsers(dest="jobs_cmd",
                                                                                        required=True)
    jobs.add_parser("list", help="installed jobs, how often they run, their retry policy").set_defaults(
        func=cmd_list)
    failed = jobs.add_parser("failed", help="runs whose retries were used up, newest first")
    failed.add_argument("--job", help="only this job (e.g. mail.poll)")
    failed.add_argument("--limit", type=int, default=50)
    failed.set_defaults(func=cmd_failed)
