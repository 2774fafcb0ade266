"""The role → permission matrix. Services call `require`; routes never decide access themselves."""

from __future__ import annotations

from enum import StrEnum

from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.errors import PermissionDenied


class Permission(StrEnum):
    TICKET_CREATE = "ticket:create"
    TICKET_READ_ALL = "ticket:read_all"
    TICKET_WORK = "ticket:work"
    TICKET_WORK_ALL_QUEUES = "ticket:work_all_queues"
    TICKET_NOTE = "ticket:note"
    TICKET_MERGE = "ticket:merge"
    DIRECTORY_READ = "directory:read"
    USER_MANAGE = "user:manage"
    TEAM_MANAGE = "team:manage"
    SLA_MANAGE = "sla:manage"
    SLA_READ = "sla:read"
    AUDIT_READ = "audit:read"
    KB_APPROVE = "kb:approve"
    KB_EDIT = "kb:edit"
    ANALYTICS_READ = "analytics:read"
    RUNBOOK_READ = "runbook:read"
    RUNBOOK_RUN = "runbook:run"
    RUNBOOK_APPROVE = "runbook:approve"
    RUNBOOK_ROLLBACK = "runbook:rollback"
    RUNBOOK_MANAGE = "runbook:manage"
    JOBS_READ = "jobs:read"
    JOBS_MANAGE = "jobs:manage"
    REQUESTER_LIMIT_LIFT = "requester:limit_lift"
    AI_GOVERN = "ai:govern"
    # Data-protection rights (export today, erasure next): admins only, every use audited.
    PRIVACY_MANAGE = "privacy:manage"
    CANNED_MANAGE = "canned:manage"
    AI_REVIEW = "ai:review"
    # The desk's own settings over the environment: AI thresholds, mail and directory connections (admins).
    SETTINGS_MANAGE = "settings:manage"


_AGENT = {
    Permission.TICKET_CREATE, Permission.TICKET_WORK, Permission.TICKET_NOTE, Permission.TICKET_MERGE,
    Permission.DIRECTORY_READ, Permission.SLA_READ, Permission.KB_EDIT, Permission.RUNBOOK_READ,
    Permission.RUNBOOK_RUN,
}
_LEAD = _AGENT | {Permission.TICKET_WORK_ALL_QUEUES, Permission.TICKET_READ_ALL, Permission.SLA_MANAGE,
                  Permission.KB_APPROVE, Permission.ANALYTICS_READ, Permission.RUNBOOK_APPROVE,
                  Permission.RUNBOOK_ROLLBACK, Permission.REQUESTER_LIMIT_LIFT,
                  Permission.AI_GOVERN, Permission.CANNED_MANAGE, Permission.AI_REVIEW}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.REQUESTER: frozenset({Permission.TICKET_CREATE}),
    Role.AGENT: frozenset(_AGENT),
    Role.LEAD: frozenset(_LEAD),
    Role.ADMIN: frozenset(Permission),
    Role.AUDITOR: frozenset({Permission.TICKET_READ_ALL, Permission.DIRECTORY_READ, Permission.SLA_READ,
                             Permission.AUDIT_READ, Permission.ANALYTICS_READ, Permission.RUNBOOK_READ}),
}


def has(principal: Principal, permission: Permission) -> bool:
    return permission in MATRIX[principal.role]


def require(principal: Principal, permission: Permission) -> None:
    """Raise PermissionDenied unless the principal's role grants `permission`."""
    if not has(principal, permission):
        raise PermissionDenied(f"Your role ({principal.role}) may not do this ({permission}).")
