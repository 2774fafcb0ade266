"""The admin page of mail and directory connections: the SMTP server, the IMAP mailboxes and the LDAP
directory, each editable (secrets write-only) and with a "Test connection" button (htmx) that really connects
with what is typed, before it is saved. The same services as /api/v1/admin/connections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from deskpilot.api.deps import SessionDep, get_settings
from deskpilot.channels.email.checks import check_imap, check_smtp
from deskpilot.config import LdapFlavour, LdapMatchField, Settings
from deskpilot.errors import DomainError
from deskpilot.governance import connections
from deskpilot.runbooks.directory_check import CheckResult, check_ldap
from deskpilot.web.admin_ai import SettingsFormViewer, SettingsViewer
from deskpilot.web.templating import render
from deskpilot.web.viewer import PostedForm, Viewer

router = APIRouter(include_in_schema=False)
CONNECTIONS = "/admin/connections"
Group = Annotated[str, Path(pattern="^(smtp|ldap)$")]
_SAVED = {"smtp": "The SMTP server was saved.", "ldap": "The directory was saved.", "mailbox": "The mailbox was saved.",
          "removed": "The mailbox was removed."}


def form_values(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The typed fields of `names`; a yes/no setting is "true" when its box is ticked, "false" otherwise."""
    values = {}
    for name in names:
        if Settings.model_fields[name].annotation is bool:
            values[name] = "true" if form.get(name) else "false"
        elif isinstance(form.get(name), str):
            values[name] = str(form.get(name))
    return values


def _page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
          notice: str | None = None, status_code: int = 200) -> Response:
    settings = get_settings(request)
    boxes, boxes_source = connections.mailboxes(session, actor=viewer.principal, settings=settings)
    return render(request, "admin/connections.html", {
        "groups": {group: connections.listing(session, actor=viewer.principal, settings=settings, group=group)
                   for group in connections.GROUPS},
        "mailboxes": boxes, "mailboxes_source": boxes_source, "flavours": [f.value for f in LdapFlavour],
        "match_fields": [f.value for f in LdapMatchField], "problem": problem, "notice": notice,
    }, viewer=viewer, status_code=status_code)


@router.get(CONNECTIONS)
def connections_page(request: Request, session: SessionDep, viewer: SettingsViewer, saved: str = "") -> Response:
    return _page(request, session, viewer, notice=_SAVED.get(saved))


def _mailbox_values(form: FormData) -> dict[str, str]:
    return {key: str(form.get(key)) for key in connections.MAILBOX_FIELDS if isinstance(form.get(key), str)}


@router.post(CONNECTIONS + "/mailboxes")
def save_mailbox(request: Request, session: SessionDep, viewer: SettingsFormViewer, form: PostedForm,
                 reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        connections.save_mailbox(session, actor=viewer.principal, settings=get_settings(request),
                                 values=_mailbox_values(form), reason=reason)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{CONNECTIONS}?saved=mailbox#mailboxes", status_code=303)


@router.post(CONNECTIONS + "/mailboxes/test")
def test_mailbox(request: Request, session: SessionDep, viewer: SettingsFormViewer, form: PostedForm) -> Response:
    try:
        mailbox = connections.trial_mailbox(session, actor=viewer.principal, settings=get_settings(request),
                                            values=_mailbox_values(form))
        result = check_imap(mailbox)
    except DomainError as exc:
        result = CheckResult(False, exc.message, "Correct the field and try again.")
    return _result(request, viewer, result)


@router.post(CONNECTIONS + "/mailboxes/{name}/remove")
def remove_mailbox(request: Request, name: Annotated[str, Path(max_length=64)], session: SessionDep,
                   viewer: SettingsFormViewer) -> Response:
    try:
        connections.remove_mailbox(session, actor=viewer.principal, settings=get_settings(request), name=name)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{CONNECTIONS}?saved=removed#mailboxes", status_code=303)


# After the mailbox routes: /mailboxes/test is not a group's test.
@router.post(CONNECTIONS + "/{group}")
def save(request: Request, group: Group, session: SessionDep, viewer: SettingsFormViewer, form: PostedForm,
         reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        connections.change(session, actor=viewer.principal, settings=get_settings(request), group=group,
                           values=form_values(form, connections.GROUPS[group]), reason=reason)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{CONNECTIONS}?saved={group}#{group}", status_code=303)


@router.post(CONNECTIONS + "/{group}/test")
def test(request: Request, group: Group, session: SessionDep, viewer: SettingsFormViewer,
         form: PostedForm) -> Response:
    """Connect with the values typed (blank secrets: the stored ones); the result as a fragment for htmx."""
    try:
        trial = connections.trial(session, actor=viewer.principal, settings=get_settings(request), group=group,
                                  values=form_values(form, connections.GROUPS[group]))
        result = check_smtp(trial) if group == "smtp" else check_ldap(trial)
    except DomainError as exc:
        result = CheckResult(False, exc.message, "Correct the field and try again.")
    return _result(request, viewer, result)


def _result(request: Request, viewer: Viewer, result: CheckResult) -> Response:
    return render(request, "admin/_connection_check.html", {"result": result}, viewer=viewer)
