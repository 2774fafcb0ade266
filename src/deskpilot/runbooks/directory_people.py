"""Everyone in the identity directory, with their groups and whether the directory disabled them: what the
accounts' directory sync reads. Paged, so a directory of any size comes back whole."""

from __future__ import annotations

from typing import Any

from ldap3 import SUBTREE
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from deskpilot.accounts.directory_sync import DirectoryPerson
from deskpilot.errors import ProviderError
from deskpilot.runbooks.identity import LdapDirectory

PAGE_SIZE = 500
# OpenLDAP's ppolicy marks an account an administrator locked for good with this lock time.
PPOLICY_LOCKED_FOR_GOOD = "000001010000Z"
AD_ACCOUNT_DISABLED = 0x2


def _entries(directory: LdapDirectory, base: str, object_class: str, attributes: list[str]) -> list[dict[str, Any]]:
    try:
        found = directory.conn.extend.standard.paged_search(
            base, f"(objectClass={escape_filter_chars(object_class)})", SUBTREE, attributes=attributes,
            paged_size=PAGE_SIZE, generator=False)
    except LDAPException as exc:
        raise ProviderError(f"Reading the directory failed: {exc}", retryable=True) from exc
    return [{"dn": entry["dn"], **{k: [v.decode("utf-8") for v in values]
                                   for k, values in entry["raw_attributes"].items()}}
            for entry in found if entry.get("type") == "searchResEntry"]


def _first(entry: dict[str, Any], attribute: str) -> str:
    values = entry.get(attribute) or [""]
    return str(values[0])


def directory_people(directory: LdapDirectory) -> list[DirectoryPerson]:
    s = directory.settings
    groups: dict[str, list[str]] = {}
    for group in _entries(directory, s.ldap_group_base_dn or s.ldap_base_dn, s.ldap_group_object_class,
                          [s.ldap_group_attribute, s.ldap_member_attribute]):
        for member in group.get(s.ldap_member_attribute, []):
            groups.setdefault(member.lower(), []).append(_first(group, s.ldap_group_attribute))
    lock = "userAccountControl" if directory.ad else "pwdAccountLockedTime"
    people = []
    for entry in _entries(directory, s.ldap_user_base_dn or s.ldap_base_dn, s.ldap_user_object_class,
                          [s.ldap_user_attribute, s.ldap_mail_attribute, "cn", "displayName", lock]):
        state = _first(entry, lock)
        disabled = (int(state or 0) & AD_ACCOUNT_DISABLED) != 0 if directory.ad else state == PPOLICY_LOCKED_FOR_GOOD
        people.append(DirectoryPerson(
            dn=entry["dn"], username=_first(entry, s.ldap_user_attribute), email=_first(entry, s.ldap_mail_attribute),
            full_name=_first(entry, "displayName") or _first(entry, "cn"),
            groups=sorted(groups.get(entry["dn"].lower(), [])), disabled=disabled))
    return people
