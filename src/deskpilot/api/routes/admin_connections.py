"""/api/v1/admin/connections: the SMTP server, IMAP mailboxes and LDAP directory the desk uses, with secrets
write-only, and a connection test that really connects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from deskpilot.channels.email.checks import check_imap, check_smtp
from deskpilot.config import Settings
from deskpilot.errors import DomainError
from deskpilot.governance import connections
from deskpilot.governance.setting_schemas import (
    ConnectionChange,
    ConnectionCheckRead,
    ConnectionFieldRead,
    ConnectionsRead,
    MailboxChange,
    MailboxRead,
)
from deskpilot.runbooks.directory_check import CheckResult, check_ldap

router = APIRouter(prefix="/api/v1/admin/connections", tags=["administration"])
Group = Annotated[str, Path(pattern="^(smtp|ldap)$")]
MailboxName = Annotated[str, Path(min_length=1, max_length=64)]


def _read(session: Session, actor: Principal, settings: Settings) -> ConnectionsRead:
    groups = {group: [ConnectionFieldRead(name=f.name, value=f.value, source=f.source, secret=f.secret)
                      for f in connections.listing(session, actor=actor, settings=settings, group=group)]
              for group in connections.GROUPS}
    boxes, source = connections.mailboxes(session, actor=actor, settings=settings)
    return ConnectionsRead(smtp=groups["smtp"], ldap=groups["ldap"],
                           mailboxes=[MailboxRead.model_validate(box) for box in boxes], mailboxes_source=source)


def _check(result: CheckResult) -> ConnectionCheckRead:
    return ConnectionCheckRead(ok=result.ok, summary=result.summary, advice=result.advice)


@router.get("", operation_id="list_connections")
def list_connections(session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep) -> ConnectionsRead:
    """Every connection field in force with its source (default, env or admin); secrets only as set or not."""
    return _read(session, actor, settings)


@router.put("/{group}", operation_id="change_connection")
def change_connection(group: Group, data: ConnectionChange, session: SessionDep, actor: CurrentPrincipal,
                      settings: SettingsDep) -> ConnectionsRead:
    """Change the fields given (validated, versioned, audited); in force at every process's next request."""
    connections.change(session, actor=actor, settings=settings, group=group, values=data.values, reason=data.reason)
    return _read(session, actor, settings)


@router.post("/{group}/test", operation_id="test_connection")
def test_connection(group: Group, data: ConnectionChange, session: SessionDep, actor: CurrentPrincipal,
                    settings: SettingsDep) -> ConnectionCheckRead:
    """Connect with the values given over those in force (nothing stored): SMTP EHLO and login, LDAP bind and
    search. A failed connection is a 200 with `ok: false`, what failed and what to do."""
    trial = connections.trial(session, actor=actor, settings=settings, group=group, values=data.values)
    return _check(check_smtp(trial) if group == "smtp" else check_ldap(trial))


@router.put("/mailboxes/{name}", operation_id="save_mailbox")
def save_mailbox(name: MailboxName, data: MailboxChange, session: SessionDep, actor: CurrentPrincipal,
                 settings: SettingsDep) -> ConnectionsRead:
    """Add the IMAP mailbox `name` or change it (a blank password keeps the stored one)."""
    connections.save_mailbox(session, actor=actor, settings=settings, values=_mailbox_values(name, data),
                             reason=data.reason)
    return _read(session, actor, settings)


@router.delete("/mailboxes/{name}", status_code=status.HTTP_204_NO_CONTENT, operation_id="remove_mailbox")
def remove_mailbox(name: MailboxName, session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep) -> None:
    connections.remove_mailbox(session, actor=actor, settings=settings, name=name)


@router.post("/mailboxes/{name}/test", operation_id="test_mailbox")
def test_mailbox(name: MailboxName, data: MailboxChange, session: SessionDep, actor: CurrentPrincipal,
                 settings: SettingsDep) -> ConnectionCheckRead:
    """Sign in to the mailbox as given (a blank password: the stored one) and open its folder; nothing stored."""
    try:
        mailbox = connections.trial_mailbox(session, actor=actor, settings=settings,
                                            values=_mailbox_values(name, data))
    except DomainError as exc:
        if exc.status_code != 422:
            raise
        return _check(CheckResult(False, exc.message, "Correct the field and try again."))
    return _check(check_imap(mailbox))


def _mailbox_values(name: str, data: MailboxChange) -> dict[str, str]:
    return {"name": name, "host": data.host, "port": str(data.port), "username": data.username,
            "password": data.password, "folder": data.folder, "ssl": "true" if data.ssl else "false"}
