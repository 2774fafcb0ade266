"""Who may see what in the knowledge base.

Everyone signed in reads approved versions (the self-service portal shows them to requesters).
Unpublished work — drafts, versions in review, retired versions, diffs, exports — is for the people
who write and approve articles (KB_EDIT) and for auditors, who read everything and change nothing.
"""

from __future__ import annotations

from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.principal import Principal
from deskpilot.errors import PermissionDenied


def sees_unpublished(actor: Principal) -> bool:
    return has(actor, Permission.KB_EDIT) or has(actor, Permission.AUDIT_READ)


def require_unpublished(actor: Principal) -> None:
    """Raise PermissionDenied unless `actor` may read drafts, reviews and history."""
    if not sees_unpublished(actor):
        raise PermissionDenied(f"Your role ({actor.role}) may read only approved knowledge-base articles.")
