"""Without an LDAP directory the password-reset runbook resets deskpilot's own sign-in password: the code goes to
the mail drop (no SMTP server either), the reset ends every session and token, and the run's rollback puts the
previous password back once. On each database, through the services and over real HTTP."""

from __future__ import annotations

import email
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import ApiToken, LoginAttempt, User, WebSession
from deskpilot.accounts.principal import Principal
from deskpilot.api.app import create_app
from deskpilot.audit.models import AuditEvent
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import PermissionDenied, ProviderError
from deskpilot.runbooks import executor, self_service
from deskpilot.runbooks.account_directory import AccountDirectory
from deskpilot.runbooks.actions.registry import load_actions
from deskpilot.runbooks.enums import RunStatus, StepStatus
from deskpilot.runbooks.mailer import MailDrop, mailer_for
from tests.entry_points import deskpilot_entry_points
from tests.factories import PASSWORD, SYSTEM, Desk, open_ticket
from tests.live_server import _free_port
from tests.runbooks.conftest import last_code

NEW = "Fresh-Start-2026!"
__all__ = ["deskpilot_entry_points"]


@pytest.fixture
def actions(deskpilot_entry_points: Path) -> Iterator[None]:
    """This checkout's runbook actions (`ldap.restore_password` is new), read again around the test."""
    del deskpilot_entry_points
    load_actions.cache_clear()
    yield
    load_actions.cache_clear()


def _reset(session: Session, settings: Settings, requester: Principal) -> executor.RunbookRun:
    challenge = self_service.start(session, settings=settings, requester=requester, mailer=mailer_for(settings))
    self_service.verify(session, settings=settings, requester=requester, request_id=challenge.request_id,
                        code=last_code(settings))
    return self_service.reset_password(session, settings=settings, requester=requester,
                                       request_id=challenge.request_id, new_password=NEW)


def _signs_in(session: Session, password: str) -> bool:
    user = session.scalars(select(User).where(User.username == "alice")).one()
    return AccountDirectory(session, Settings(), SYSTEM).check_password(
        AccountDirectory(session, Settings(), SYSTEM).find_user(user.username), password)


def test_a_requester_resets_her_own_sign_in_password_without_ldap_or_smtp(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    alice = Principal.of(approved.alice)
    cookie = login.open_session(session, user=approved.alice, hours=8)
    _, token = accounts.issue_token(session, actor=SYSTEM, user_id=approved.alice.id, name="laptop")
    bob_cookie = login.open_session(session, user=approved.bob, hours=8)
    assert isinstance(mailer_for(own_settings), MailDrop)
    run = _reset(session, own_settings, alice)
    session.commit()
    assert run.status is RunStatus.SUCCEEDED and run.origin == "self_service"
    drop = next(own_settings.mail_drop_dir.glob("*.eml"))
    assert stat.S_IMODE(drop.stat().st_mode) == 0o600
    assert email.message_from_bytes(drop.read_bytes())["To"] == "alice@northwind.example"
    assert _signs_in(session, NEW) and not _signs_in(session, PASSWORD)
    # A password change after a possible takeover: every session and token of alice ends, bob keeps his.
    assert login.user_for_session(session, secret=cookie) is None
    assert accounts.user_for_token(session, token=token) is None
    assert login.user_for_session(session, secret=bob_cookie) is not None
    events = {e.action: e for e in session.scalars(select(AuditEvent))}
    reset = events["user.password_reset"]
    assert reset.subject_id == str(approved.alice.id) and reset.after["sessions_ended"] == 1
    stored = " ".join(str(e.after) + str(e.before) for e in session.scalars(select(AuditEvent)))
    hashes = session.scalars(select(User.password_hash)).all()
    assert NEW not in stored and last_code(own_settings) not in stored
    assert not any(h and h in stored for h in hashes)


def test_rolling_the_reset_back_puts_the_previous_password_back_once(
        session: Session, own_settings: Settings, approved: Desk, actions: None) -> None:
    run = _reset(session, own_settings, Principal.of(approved.alice))
    session.commit()
    reset_step = executor.run_steps(session, run_id=run.id)[-1]
    assert reset_step.reversible and "restore_point" in (reset_step.undo or {})
    lena = Principal.of(approved.lena)
    rolled = executor.rollback(session, settings=own_settings, actor=lena, run_id=run.id)
    session.commit()
    assert rolled.status is RunStatus.ROLLED_BACK
    assert _signs_in(session, PASSWORD) and not _signs_in(session, NEW)
    assert "user.password_restored" in set(session.scalars(select(AuditEvent.action)))


def test_the_rollback_never_overwrites_a_password_changed_since_the_reset(
        session: Session, own_settings: Settings, approved: Desk, actions: None) -> None:
    alice = Principal.of(approved.alice)
    run = _reset(session, own_settings, alice)
    accounts.change_own_password(session, actor=alice, current_password=NEW, new_password="Later-Change-2026!")
    session.commit()
    rolled = executor.rollback(session, settings=own_settings, actor=Principal.of(approved.lena), run_id=run.id)
    session.commit()
    assert rolled.status is RunStatus.ROLLBACK_FAILED and "changed again" in (rolled.error or "")
    assert executor.run_steps(session, run_id=run.id)[-1].status is StepStatus.ROLLBACK_FAILED
    assert _signs_in(session, "Later-Change-2026!")


def test_an_agent_unlocks_an_account_the_sign_in_limit_locked(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    session.add_all([LoginAttempt(key="account:bob", at=utcnow(), succeeded=False)
                     for _ in range(own_settings.login_attempts_per_minute)])
    ticket = open_ticket(session, approved, approved.bob)
    carol = Principal.of(approved.carol)
    request = executor.RunRequest(runbook="account-unlock", parameters={"username": "bob"}, ticket_id=ticket.id)
    plan = executor.dry_run(session, settings=own_settings, actor=carol, request=request)
    assert "Unlock deskpilot-account:bob" in plan.plan[0]["description"]
    request = executor.RunRequest(runbook="account-unlock", parameters={"username": "bob"}, ticket_id=ticket.id,
                                  dry_run_id=plan.id)
    run = executor.run(session, settings=own_settings, actor=carol, request=request)
    session.commit()
    assert run.status is RunStatus.SUCCEEDED
    directory = AccountDirectory(session, own_settings, carol)
    assert not directory.find_user("bob").locked
    with pytest.raises(ProviderError, match="no directory groups"):
        directory.find_group("vpn-users")


@pytest.fixture
def own_api(own_settings: Settings, approved: Desk, session: Session) -> Iterator[tuple[httpx.Client, str]]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(own_settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=approved.alice.id, name="t")
    session.commit()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {secret}"}) as client:
        yield client, secret
    server.should_exit = True
    thread.join(timeout=10)


def test_the_self_service_api_resets_the_sign_in_password_and_revokes_the_token(
        own_api: tuple[httpx.Client, str], own_settings: Settings, session: Session) -> None:
    client, secret = own_api
    started = client.post("/self-service/password-reset", json={})
    assert started.status_code == 201, started.text
    request_id = started.json()["request_id"]
    verified = client.post(f"/self-service/password-reset/{request_id}/verify", json={"code": last_code(own_settings)})
    assert verified.status_code == 204, verified.text
    done = client.post(f"/self-service/password-reset/{request_id}/reset", json={"new_password": NEW})
    assert done.status_code == 200 and done.json()["status"] == "succeeded", done.text
    assert client.get("/tickets").status_code == 401
    session.expire_all()
    assert session.scalars(select(ApiToken).where(ApiToken.token_hash == accounts.token_digest(secret))).one().revoked
    assert _signs_in(session, NEW) and not _signs_in(session, PASSWORD)
    assert not session.scalars(select(WebSession).where(WebSession.user_id == session.scalars(
        select(User.id).where(User.username == "alice")).one())).all()


def test_a_desk_that_signs_in_only_through_single_sign_on_offers_no_reset_of_a_local_password(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    sso_only = own_settings.model_copy(update={"local_passwords": False})
    with pytest.raises(PermissionDenied, match="single sign-on"):
        self_service.start(session, settings=sso_only, requester=Principal.of(approved.alice),
                           mailer=mailer_for(sso_only))
