"""The identity directory over LDAP (`ldap3`): OpenLDAP with ppolicy, or Active Directory.

Names reach the server only as escaped filter values; DNs are always the ones the server returned,
never built from text. OpenLDAP resets go through the password-modify extended operation and locks
live in ppolicy's `pwdAccountLockedTime`; AD resets write `unicodePwd` (quoted, UTF-16LE, LDAPS only)
and unlock by setting `lockoutTime` to 0.
"""

from __future__ import annotations

import math
import ssl
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPInvalidCredentialsResult
from ldap3.utils.conv import escape_filter_chars

from deskpilot.config import LdapFlavour, Settings
from deskpilot.errors import Conflict, NotFound, ProviderError
from deskpilot.runbooks.parameters import directory_name

PPOLICY_LOCK = "pwdAccountLockedTime"
AD_LOCK = "lockoutTime"


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    name: str
    mail: str | None
    lock: str | None

    @property
    def locked(self) -> bool:
        return self.lock not in (None, "", "0")


@dataclass(frozen=True)
class DirectoryGroup:
    dn: str
    name: str
    members: frozenset[str]

    def has_member(self, dn: str) -> bool:
        return dn.lower() in {m.lower() for m in self.members}


class Directory(Protocol):
    """What runbook actions need from an identity directory: LDAP here, or deskpilot's own accounts
    (`runbooks/account_directory.py`) when no LDAP directory is configured."""

    # Whether `lock` can put back a lock-out that `unlock` removed.
    @property
    def can_restore_lock(self) -> bool: ...

    def find_user(self, name: str) -> DirectoryUser: ...
    def find_user_by(self, attribute: str, value: str) -> DirectoryUser: ...
    def find_group(self, name: str) -> DirectoryGroup: ...
    def set_password(self, user: DirectoryUser, password: str) -> str | None:
        """Replace the password; returns a restore point for `restore_password`, or None when the directory
        cannot give the previous password back."""
        ...

    def restore_password(self, user: DirectoryUser, restore_point: str) -> None: ...
    def check_password(self, user: DirectoryUser, password: str) -> bool: ...
    def unlock(self, user: DirectoryUser) -> None: ...
    def lock(self, user: DirectoryUser, value: str) -> None: ...
    def add_member(self, group: DirectoryGroup, user: DirectoryUser) -> None: ...
    def remove_member(self, group: DirectoryGroup, user: DirectoryUser) -> None: ...
    def close(self) -> None: ...


def _first(entry: dict[str, Any], attribute: str) -> str | None:
    value = entry.get(attribute)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


class LdapDirectory:
    """One bound connection with the configured service account; close it when the run ends."""

    def __init__(self, settings: Settings) -> None:
        if not settings.ldap_url or not settings.ldap_base_dn:
            raise ProviderError("No identity directory is configured (DESKPILOT_LDAP_URL, DESKPILOT_LDAP_BASE_DN).")
        self.settings = settings
        self.ad = settings.ldap_flavour is LdapFlavour.ACTIVE_DIRECTORY
        if self.ad and not settings.ldap_url.startswith("ldaps://"):
            raise ProviderError("Active Directory only accepts password changes over LDAPS: use an ldaps:// URL.")
        # ldap3 packs socket timeouts as integers.
        self._timeout = max(1, math.ceil(settings.ldap_timeout_seconds))
        self.server = self._server()
        self.conn = self._bind(settings.ldap_bind_dn, settings.ldap_bind_password)

    def _server(self) -> Server:
        tls = None
        if self.settings.ldap_url.startswith("ldaps://"):
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.settings.ldap_tls_ca_file or None)
        return Server(self.settings.ldap_url, use_ssl=tls is not None, tls=tls,
                      connect_timeout=self._timeout)

    def _bind(self, dn: str, password: str) -> Connection:
        try:
            return Connection(self.server, user=dn or None, password=password or None, auto_bind=True,
                              receive_timeout=self._timeout, raise_exceptions=True)
        except (LDAPBindError, LDAPInvalidCredentialsResult) as exc:
            # With raise_exceptions, a wrong password arrives as invalidCredentials (49), not as a bind error.
            raise ProviderError(f"The directory refused the service account bind: {exc}") from exc
        except LDAPException as exc:
            raise ProviderError(f"The directory is unreachable: {exc}", retryable=True) from exc

    def _search_one(self, base: str, object_class: str, attribute: str, value: str,
                    attributes: list[str]) -> dict[str, Any]:
        query = f"(&(objectClass={escape_filter_chars(object_class)})({attribute}={escape_filter_chars(value)}))"
        try:
            self.conn.search(base, query, SUBTREE, attributes=attributes, size_limit=2)
        except LDAPException as exc:
            raise ProviderError(f"Directory search failed: {exc}", retryable=True) from exc
        entries = [e for e in self.conn.response or [] if e.get("type") == "searchResEntry"]
        if not entries:
            raise NotFound(f"No directory entry with {attribute}={value!r}.")
        if len(entries) > 1:
            raise Conflict(f"More than one directory entry has {attribute}={value!r}; fix the directory first.")
        # Raw values: ldap3 would turn a lock time into a datetime, and the exact text is what goes back.
        raw = entries[0]["raw_attributes"]
        return {"dn": entries[0]["dn"], **{k: [v.decode("utf-8") for v in values] for k, values in raw.items()}}

    def _user(self, attribute: str, value: str) -> DirectoryUser:
        s = self.settings
        lock_attr = AD_LOCK if self.ad else PPOLICY_LOCK
        entry = self._search_one(s.ldap_user_base_dn or s.ldap_base_dn, s.ldap_user_object_class, attribute, value,
                                 [s.ldap_user_attribute, s.ldap_mail_attribute, lock_attr])
        return DirectoryUser(dn=entry["dn"], name=_first(entry, s.ldap_user_attribute) or value,
                             mail=_first(entry, s.ldap_mail_attribute), lock=_first(entry, lock_attr))

    def find_user(self, name: str) -> DirectoryUser:
        """The one user whose configured name attribute is `name`."""
        return self._user(self.settings.ldap_user_attribute, directory_name(name, what="user"))

    def find_user_by(self, attribute: str, value: str) -> DirectoryUser:
        """The one user whose `attribute` (a configured attribute name) equals `value` (escaped)."""
        return self._user(attribute, value)

    def find_group(self, name: str) -> DirectoryGroup:
        s = self.settings
        entry = self._search_one(s.ldap_group_base_dn or s.ldap_base_dn, s.ldap_group_object_class,
                                 s.ldap_group_attribute, directory_name(name, what="group"), [s.ldap_member_attribute])
        members = entry.get(s.ldap_member_attribute) or []
        return DirectoryGroup(dn=entry["dn"], name=name, members=frozenset(map(str, members)))

    def _modify(self, dn: str, changes: dict[str, Any], what: str) -> None:
        try:
            self.conn.modify(dn, changes)
        except LDAPException as exc:
            raise ProviderError(f"The directory refused to {what}: {exc}") from exc

    @property
    def can_restore_lock(self) -> bool:
        """OpenLDAP's ppolicy lock can be set again; Active Directory never lets anyone set a lock-out."""
        return not self.ad

    def set_password(self, user: DirectoryUser, password: str) -> None:
        """Replace the password (administrative reset; the old one stops working and is not known to the desk,
        so there is no restore point)."""
        if self.ad:
            encoded = f'"{password}"'.encode("utf-16-le")
            self._modify(user.dn, {"unicodePwd": [(MODIFY_REPLACE, [encoded])]}, "set the password")
            return
        try:
            self.conn.extend.standard.modify_password(user=user.dn, new_password=password)
        except LDAPException as exc:
            raise ProviderError(f"The directory refused the password change: {exc}") from exc

    def restore_password(self, user: DirectoryUser, restore_point: str) -> None:
        raise ProviderError(f"The directory cannot put back the previous password of {user.name} (restore point "
                            f"{restore_point!r}): the desk never knows it.")

    def check_password(self, user: DirectoryUser, password: str) -> bool:
        """Whether `password` binds as the user (a separate connection; the service bind stays)."""
        try:
            Connection(self.server, user=user.dn, password=password, auto_bind=True,
                       receive_timeout=self._timeout, raise_exceptions=True).unbind()
        except (LDAPBindError, LDAPInvalidCredentialsResult):
            return False
        except LDAPException as exc:
            raise ProviderError(f"The directory is unreachable: {exc}", retryable=True) from exc
        return True

    def unlock(self, user: DirectoryUser) -> None:
        if self.ad:
            self._modify(user.dn, {AD_LOCK: [(MODIFY_REPLACE, ["0"])]}, "unlock the account")
        elif user.lock is not None:
            self._modify(user.dn, {PPOLICY_LOCK: [(MODIFY_DELETE, [])]}, "unlock the account")

    def lock(self, user: DirectoryUser, value: str) -> None:
        """Put back a lock that an unlock removed (OpenLDAP only: AD never lets anyone set a lock-out)."""
        if self.ad:
            raise ProviderError("Active Directory does not allow setting a lock-out; it cannot be restored.")
        self._modify(user.dn, {PPOLICY_LOCK: [(MODIFY_REPLACE, [value])]}, "restore the lock")

    def add_member(self, group: DirectoryGroup, user: DirectoryUser) -> None:
        self._modify(group.dn, {self.settings.ldap_member_attribute: [(MODIFY_ADD, [user.dn])]}, "add the member")

    def remove_member(self, group: DirectoryGroup, user: DirectoryUser) -> None:
        self._modify(group.dn, {self.settings.ldap_member_attribute: [(MODIFY_DELETE, [user.dn])]},
                     "remove the member")

    def read_entry(self, dn: str, attributes: list[str]) -> dict[str, Any]:
        """The attributes of one entry by its DN (tests and diagnostics)."""
        self.conn.search(dn, "(objectClass=*)", BASE, attributes=attributes)
        return dict(self.conn.response[0]["attributes"]) if self.conn.response else {}

    def close(self) -> None:
        # The run is over either way; a connection the server already dropped has nothing left to close.
        with suppress(LDAPException):
            self.conn.unbind()
