"""People who sign in through the identity provider: an account made just in time, and role and teams kept
as the provider's groups say at every sign-in (a group change moves a role the next time they sign in)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import Team, User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate, UserUpdate
from deskpilot.errors import NotAuthenticated

log = logging.getLogger(__name__)
ACTOR = Principal.system("sso")
# When several of a person's groups name a role, the one that can do most wins.
PRECEDENCE = (Role.ADMIN, Role.LEAD, Role.AGENT, Role.AUDITOR, Role.REQUESTER)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider vouched for: its stable subject, the verified e-mail, names and groups."""

    issuer: str
    subject: str
    email: str
    full_name: str
    preferred_username: str
    groups: Sequence[str]


def role_for(groups: Sequence[str], role_groups: Mapping[str, str]) -> Role | None:
    """The role the groups give (the strongest), requester when role groups are configured and none matches,
    or None when the desk maps no groups to roles (roles are then managed in deskpilot)."""
    if not role_groups:
        return None
    named = {Role(role_groups[group]) for group in groups if group in role_groups}
    return next((role for role in PRECEDENCE if role in named), Role.REQUESTER)


def sign_in(session: Session, *, identity: Identity, role_groups: Mapping[str, str],
            team_groups: Mapping[str, str]) -> User:
    """The account for `identity`, created on first sign-in and brought in line with the groups after."""
    if not identity.email:
        raise NotAuthenticated("The identity provider did not give an e-mail address; ask its administrator to "
                               "release the `email` claim to deskpilot.")
    user = accounts.get_by_email(session, email=identity.email)
    if user is not None and not user.is_active:
        raise NotAuthenticated("This account is deactivated in deskpilot; an administrator can reactivate it.")
    return align(session, actor=ACTOR, user=user, email=identity.email, full_name=identity.full_name,
                 username_hint=identity.preferred_username, groups=identity.groups, role_groups=role_groups,
                 team_groups=team_groups)


def align(session: Session, *, actor: Principal, user: User | None, email: str, full_name: str, username_hint: str,
          groups: Sequence[str], role_groups: Mapping[str, str], team_groups: Mapping[str, str]) -> User:
    """Create `user` (when None) or bring its name, role and mapped teams in line with `groups`; audited as
    `actor`. Teams no group maps to (set by hand in deskpilot) are kept."""
    role = role_for(groups, role_groups)
    mapped_teams = _teams(session, set(team_groups.values()))
    wanted = {mapped_teams[team_groups[g]].id for g in groups if team_groups.get(g) in mapped_teams}
    if user is None:
        user = accounts.create(session, actor=actor, data=UserCreate(
            username=free_username(session, username_hint or email.split("@")[0]), email=email,
            full_name=full_name or email, role=role or Role.REQUESTER, team_ids=sorted(wanted)))
        log.info("%s: created %s", actor.username, user.username)
        return user
    managed = {team.id for team in mapped_teams.values()}
    teams = sorted(({team.id for team in user.teams} - managed) | wanted)
    renamed = full_name and full_name != user.full_name
    change = UserUpdate(full_name=full_name if renamed else None,
                        role=role if role is not None and role != user.role else None,
                        team_ids=teams if set(teams) != {team.id for team in user.teams} else None)
    if change.model_dump(exclude_none=True):
        accounts.update(session, actor=actor, user_id=user.id, data=change)
    return user


def _teams(session: Session, names: set[str]) -> dict[str, Team]:
    found = {team.name: team for team in session.scalars(select(Team).where(Team.name.in_(names)))}
    for name in sorted(names - set(found)):
        log.warning("a group is mapped to the team %r, which does not exist", name)
    return found


def free_username(session: Session, hint: str) -> str:
    """A username from `hint` (a preferred username, an e-mail's local part), made valid and unique."""
    base = re.sub(r"[^a-z0-9._-]", "", hint.lower())
    base = (base.lstrip("._-") or "user")[:56].ljust(2, "0")
    taken = set(session.scalars(select(User.username).where(func.lower(User.username).like(f"{base}%"))))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate
