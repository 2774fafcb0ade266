"""Wrong self-service reset codes are counted and audited even though the request that carried them fails,
and five wrong tries lock the code: over real HTTP (uvicorn) and through the chat, on each database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.api.app import create_app
from deskpilot.audit.models import AuditEvent
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.runbooks import self_service
from deskpilot.runbooks.enums import SelfServiceStatus
from deskpilot.runbooks.identity import LdapDirectory
from deskpilot.runbooks.mailer import SmtpMailer
from deskpilot.runbooks.models import SelfServiceRequest
from tests.factories import SYSTEM, Desk
from tests.live_server import _free_port
from tests.runbooks.directory import OLD_PASSWORD
from tests.runbooks.mail_sink import Sink


@pytest.fixture
def alice_api(mail_settings: Settings, approved: Desk, session: Session) -> Iterator[httpx.Client]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(mail_settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=approved.alice.id, name="t")
    session.commit()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {secret}"}) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def _rejections(session: Session, request_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "self_service.code_rejected", AuditEvent.subject_id == str(request_id))) or 0


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_wrong_reset_codes_over_http_are_counted_and_lock_the_code_after_five_tries(
        alice_api: httpx.Client, session: Session, sink: tuple[Sink, int], directory: LdapDirectory) -> None:
    started = alice_api.post("/self-service/password-reset", json={})
    assert started.status_code == 201, started.text
    request_id, code = started.json()["request_id"], sink[0].last_code()
    verify = f"/self-service/password-reset/{request_id}/verify"
    answers = [alice_api.post(verify, json={"code": _wrong(code)}) for _ in range(6)]
    assert [a.status_code for a in answers] == [422] * 6
    assert "locked" in answers[4].json()["message"] and "locked" not in answers[3].json()["message"]
    right = alice_api.post(verify, json={"code": code})
    assert right.status_code == 422 and "new code" in right.json()["message"]
    reset = alice_api.post(f"/self-service/password-reset/{request_id}/reset", json={"new_password": "Fresh-2026!x"})
    assert reset.status_code == 403
    session.expire_all()
    stored = session.get(SelfServiceRequest, request_id)
    assert stored is not None and stored.attempts == 5 and stored.status is SelfServiceStatus.FAILED
    assert _rejections(session, request_id) == 7
    assert directory.check_password(directory.find_user("alice"), OLD_PASSWORD)


def test_the_right_code_is_refused_and_the_refusal_audited_once_five_wrong_tries_locked_it(
        session: Session, mail_settings: Settings, approved: Desk, sink: tuple[Sink, int]) -> None:
    alice = Principal.of(approved.alice)
    challenge = self_service.start(session, settings=mail_settings, requester=alice, mailer=SmtpMailer(mail_settings))
    session.commit()
    code = sink[0].last_code()
    for _ in range(5):
        with pytest.raises(InvalidInput, match="not right"):
            self_service.verify(session, settings=mail_settings, requester=alice, request_id=challenge.request_id,
                                code=_wrong(code))
    assert self_service.is_failed(session, request_id=challenge.request_id)
    with pytest.raises(InvalidInput, match="new code"):
        self_service.verify(session, settings=mail_settings, requester=alice, request_id=challenge.request_id,
                            code=code)
    session.commit()
    assert _rejections(session, challenge.request_id) == 6
