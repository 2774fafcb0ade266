""""Test connection" for the identity directory: bind with the service account and search the base, within
the configured timeout, and say what failed and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from ldap3 import BASE
from ldap3.core.exceptions import LDAPException

from deskpilot.config import Settings
from deskpilot.errors import DomainError
from deskpilot.runbooks.identity import LdapDirectory

CHECK_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class CheckResult:
    """What a connection test found: `ok`, a one-line `summary`, and `advice` when it failed."""

    ok: bool
    summary: str
    advice: str = ""


def check_ldap(settings: Settings) -> CheckResult:
    """Bind as DESKPILOT_LDAP_BIND_DN and read the base entry, waiting at most CHECK_TIMEOUT_SECONDS."""
    if not settings.ldap_url or not settings.ldap_base_dn:
        return CheckResult(False, "No directory is configured.", "Enter the directory URL and the base DN.")
    settings = settings.model_copy(update={"ldap_timeout_seconds": min(settings.ldap_timeout_seconds,
                                                                       CHECK_TIMEOUT_SECONDS)})
    try:
        directory = LdapDirectory(settings)
    except (LDAPException, ValueError) as exc:
        return CheckResult(False, f"The directory settings cannot be used: {exc}",
                           "Check the URL (ldap://host:389 or ldaps://host:636), the CA file and the bind DN.")
    except DomainError as exc:
        refused = "refused the service account" in exc.message
        return CheckResult(False, exc.message, "Check the bind DN and its password." if refused else
                           "Check the URL (ldap:// or ldaps://, host and port), that the server runs, and that the "
                           "firewall lets this host reach it.")
    try:
        found = directory.conn.search(settings.ldap_base_dn, "(objectClass=*)", BASE, attributes=[], size_limit=1)
        if not found:
            return CheckResult(False, f"Signed in, but the base DN {settings.ldap_base_dn!r} was not found.",
                               "Check the base DN, and that the service account may read it.")
    except (LDAPException, ValueError) as exc:
        return CheckResult(False, f"Signed in, but searching {settings.ldap_base_dn!r} failed: {exc}",
                           "Check the base DN, and that the service account may read it.")
    finally:
        directory.close()
    return CheckResult(True, f"Signed in to {settings.ldap_url} as {settings.ldap_bind_dn or 'anonymous'} and read "
                             f"{settings.ldap_base_dn}.")
