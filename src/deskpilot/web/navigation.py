"""The main navigation: which links a role sees. New page areas (chat, console, dashboard) add a NavLink here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, has
from deskpilot.web.viewer import Viewer

HUMAN_HELP_PATH = "/talk-to-a-human"
ADMIN_PATH = "/admin"


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    shown_to: Callable[[Viewer], bool]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


def _admin(viewer: Viewer) -> bool:
    return viewer.principal.role is Role.ADMIN


def _staff(viewer: Viewer) -> bool:
    # An administrator runs the desk rather than its tickets: their menu is the admin one, not a lead's.
    return viewer.is_staff and not _admin(viewer)


def _can_request(viewer: Viewer) -> bool:
    return viewer.can_request and not _admin(viewer)


def _works_tickets(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.TICKET_WORK) and not _admin(viewer)


def _reads_kpis(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.ANALYTICS_READ)


def _works_on_kb(viewer: Viewer) -> bool:
    # The API's rule for drafts and history (kb/access.py): writers, approvers and auditors.
    return has(viewer.principal, Permission.KB_EDIT) or has(viewer.principal, Permission.AUDIT_READ)


def _audits(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.AUDIT_READ)


def _reads_runbooks(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.RUNBOOK_READ)


def _lifts_limits(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.REQUESTER_LIMIT_LIFT) and not _admin(viewer)


def _manages_canned(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.CANNED_MANAGE)


def _governs_ai(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.AI_GOVERN)


def _reviews_ai(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.AI_REVIEW)


def _everyone(viewer: Viewer) -> bool:
    del viewer
    return True


NAV: tuple[NavLink, ...] = (
    NavLink("Users", "/admin/users", _admin),
    NavLink("Teams", "/admin/teams", _admin),
    NavLink("Queues", "/admin/queues", _admin),
    NavLink("Taxonomy", "/admin/taxonomy", _admin),
    NavLink("Service levels", "/admin/sla", _admin),
    NavLink("AI settings", "/admin/ai-settings", _admin),
    NavLink("Mail and directory", "/admin/connections", _admin),
    NavLink("Jobs", "/admin/jobs", _admin),
    # Administrators may work tickets too; their menu leads to the console without a lead's other links.
    NavLink("Console", "/console", _admin),
    NavLink("Queue", "/queue", _staff),
    NavLink("Console", "/console", _staff),
    NavLink("Live chats", "/agent/chats", _staff),
    NavLink("Unfiled mail", "/console/mail", _works_tickets),
    NavLink("Dashboard", "/dashboard", _reads_kpis),
    NavLink("Knowledge", "/kb", _works_on_kb),
    NavLink("Runbooks", "/runbooks", _reads_runbooks),
    NavLink("Audit", "/audit", _audits),
    NavLink("Requester limits", "/requester-limits", _lifts_limits),
    NavLink("Canned responses", "/canned-responses", _manages_canned),
    NavLink("Replay gate", "/governance/replay", _governs_ai),
    NavLink("AI switches", "/governance/switches", _governs_ai),
    NavLink("Answer review", "/governance/review", _reviews_ai),
    NavLink("KB change sets", "/governance/kb", _governs_ai),
    NavLink("My tickets", "/tickets", _can_request),
    NavLink("New request", "/tickets/new", _can_request),
    NavLink("Ask the assistant", "/chat", _can_request),
    NavLink("Help centre", "/help", _can_request),
    NavLink("My account", "/account", _everyone),
)


def nav_for(viewer: Viewer | None, path: str) -> list[NavItem]:
    """The links `viewer` may follow; the one for `path` (or its deepest parent) is marked current."""
    if viewer is None:
        return []
    links = [link for link in NAV if link.shown_to(viewer)]
    matches = [link.href for link in links if path == link.href or path.startswith(link.href + "/")]
    current = max(matches, key=len, default=None)
    return [NavItem(link.label, link.href, link.href == current) for link in links]


def landing_path(viewer: Viewer) -> str:
    """Where a viewer starts: administrators at the admin pages, staff at the queue, everyone else at their own
    tickets."""
    if _admin(viewer):
        return ADMIN_PATH
    return "/queue" if viewer.is_staff else "/tickets"
