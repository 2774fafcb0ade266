"""Directory sync as a job: accounts kept in line with LDAP/AD, hourly by default when a directory is set."""

from __future__ import annotations

from deskpilot.accounts.directory_sync import sync
from deskpilot.config import Settings
from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.runbooks.directory_people import directory_people
from deskpilot.runbooks.identity import LdapDirectory

_DEFAULT_INTERVAL_SECONDS = 3600.0


def _every(settings: Settings) -> float | None:
    return _DEFAULT_INTERVAL_SECONDS if settings.ldap_url and settings.ldap_base_dn else None


@job("directory.sync", every=_every)
def sync_directory(context: JobContext, _payload: Payload) -> str:
    """Read everyone from the directory, then create, update and deactivate accounts in one unit of work."""
    directory = LdapDirectory(context.settings)
    try:
        people = directory_people(directory)
    finally:
        directory.close()
    with context.unit_of_work() as session:
        report = sync(session, people=people, role_groups=context.settings.ldap_sync_role_groups,
                      team_groups=context.settings.ldap_sync_team_groups)
    return report.summary()
