"""Who is looking at a page: the session-cookie user, and the dependencies that guard page routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from starlette.datastructures import FormData

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.principal import Principal
from deskpilot.api.deps import SESSION_COOKIE, SessionDep, SettingsDep, signed_in_user
from deskpilot.errors import PermissionDenied
from deskpilot.web import csrf

ROLE_LABELS = {Role.REQUESTER: "requester", Role.AGENT: "agent", Role.LEAD: "team lead", Role.ADMIN: "administrator",
               Role.AUDITOR: "auditor"}


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a page, with the session secret their forms' CSRF tokens are bound to."""

    principal: Principal
    name: str
    session_secret: str

    @property
    def user_id(self) -> int:
        # Session users are real users; only the system principal has no id, and it never browses.
        return self.principal.user_id or 0

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.principal.role]

    @property
    def is_requester(self) -> bool:
        return self.principal.role is Role.REQUESTER

    @property
    def is_staff(self) -> bool:
        """Works or reads tickets beyond their own: sees the queue and internal notes."""
        return has(self.principal, Permission.TICKET_WORK) or has(self.principal, Permission.TICKET_READ_ALL)

    @property
    def can_request(self) -> bool:
        return has(self.principal, Permission.TICKET_CREATE)


class SignInRequired(Exception):
    """Raised by page dependencies for anonymous visitors; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    """The signed-in viewer, or SignInRequired (which redirects to /sign-in and back afterwards)."""
    secret = request.cookies.get(SESSION_COOKIE)
    user = signed_in_user(request, session, credentials=None)
    if user is None or secret is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query if request.method == "GET" else "/")
    return Viewer(principal=Principal.of(user), name=user.full_name or user.username, session_secret=secret)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def form_viewer(viewer: ViewerDep, settings: SettingsDep,
                csrf_token: Annotated[str, Form()] = "") -> Viewer:
    """The viewer of a form POST whose CSRF token matches their session; 403 otherwise."""
    if not csrf.is_valid(secret_key=settings.secret_key, binding=viewer.session_secret, submitted=csrf_token):
        raise PermissionDenied(csrf.REJECTED)
    return viewer


FormViewer = Annotated[Viewer, Depends(form_viewer)]


async def posted_form(request: Request) -> FormData:
    """The whole posted form, for forms whose field names vary (one per runbook parameter or weekday)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


@dataclass(frozen=True)
class PageGuard:
    """A page area's access rule, the same as its API's: `page` guards its pages, `form` its form posts (with a
    valid CSRF token too); a viewer the rule refuses gets 403 with `refusal`."""

    allows: Callable[[Principal], bool]
    refusal: str

    def page(self, viewer: ViewerDep) -> Viewer:
        if not self.allows(viewer.principal):
            raise PermissionDenied(self.refusal)
        return viewer

    def form(self, viewer: FormViewer) -> Viewer:
        return self.page(viewer)


def staff_viewer(viewer: ViewerDep) -> Viewer:
    if not viewer.is_staff:
        raise PermissionDenied("The queue is for service desk staff. Your own requests are under My tickets.")
    return viewer


StaffViewer = Annotated[Viewer, Depends(staff_viewer)]
