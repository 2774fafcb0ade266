"""Who is acting: the user behind a request, a CLI command or a job."""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    role: Role
    team_ids: frozenset[int]

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user_id=user.id, username=user.username, role=user.role,
                   team_ids=frozenset(t.id for t in user.teams))

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The actor of CLI commands and background jobs: acts as an admin, recorded by name."""
        return cls(user_id=None, username=name, role=Role.ADMIN, team_ids=frozenset())
