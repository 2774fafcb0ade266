"""Directory sync: the people of the LDAP/AD directory become deskpilot accounts, with role and teams from
their groups; a person who leaves the directory, or is disabled there, is deactivated (their sessions and API
tokens end). Only accounts the sync made or matched (they carry `directory_dn`) can be deactivated by it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserUpdate
from deskpilot.accounts.sso import align

ACTOR = Principal.system("directory-sync")


@dataclass(frozen=True, slots=True)
class DirectoryPerson:
    dn: str
    username: str
    email: str
    full_name: str
    groups: Sequence[str]
    disabled: bool = False


@dataclass(slots=True)
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.deactivated)} deactivated, "
                f"{len(self.skipped)} skipped")


def sync(session: Session, *, people: Sequence[DirectoryPerson], role_groups: Mapping[str, str],
         team_groups: Mapping[str, str]) -> SyncReport:
    """Bring the accounts in line with the directory in the caller's transaction (the dry run rolls it back)."""
    report = SyncReport()
    seen: set[str] = set()
    for person in people:
        if not person.email:
            report.skipped.append(f"{person.dn}: no e-mail address")
            continue
        user = session.scalar(select(User).where(func.lower(User.directory_dn) == person.dn.lower())) or (
            accounts.get_by_email(session, email=person.email))
        seen.add(person.dn.lower())
        if person.disabled:
            if user is not None and user.is_active:
                accounts.update(session, actor=ACTOR, user_id=user.id, data=UserUpdate(is_active=False))
                report.deactivated.append(user.username)
            continue
        before = None if user is None else (user.full_name, user.role, sorted(t.id for t in user.teams))
        user = align(session, actor=ACTOR, user=user, email=person.email, full_name=person.full_name,
                     username_hint=person.username, groups=person.groups, role_groups=role_groups,
                     team_groups=team_groups)
        user.directory_dn = person.dn
        if before is None:
            report.created.append(user.username)
        elif before != (user.full_name, user.role, sorted(t.id for t in user.teams)):
            report.updated.append(user.username)
    gone = session.scalars(select(User).where(User.directory_dn.is_not(None), User.is_active.is_(True)))
    for user in list(gone):
        if (user.directory_dn or "").lower() not in seen:
            accounts.update(session, actor=ACTOR, user_id=user.id, data=UserUpdate(is_active=False))
            report.deactivated.append(user.username)
    session.flush()
    return report
