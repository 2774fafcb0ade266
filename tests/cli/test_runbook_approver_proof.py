"""`deskpilot runbooks approve --as NAME`: the approver proves who they are, by password or by API token."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import LoginAttempt
from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.cli import main
from deskpilot.runbooks import builtin
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.models import RunbookApproval
from tests.factories import PASSWORD, Desk, make_desk


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, session: Session) -> None:
    del session  # the fixture empties the database first
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("DESKPILOT_PASSWORD_MEMORY_KIB", "64")


@pytest.fixture
def draft(env: None, session: Session) -> tuple[Desk, list[str]]:
    """The personas and one shipped runbook as a draft: the approve command's arguments for it."""
    del env
    desk = make_desk(session)
    version = builtin.install(session, actor=Principal.system("runbook-author"))[0]
    name = next(r.name for r in definitions.get_all(session) if r.id == version.runbook_id)
    session.commit()
    return desk, ["runbooks", "approve", name, str(version.version), "--hash", version.content_hash]


def _approvers(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(select(RunbookApproval.approver_name)))


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))


def test_approving_as_a_lead_with_a_wrong_password_is_refused_and_the_attempt_recorded(
        draft: tuple[Desk, list[str]], session: Session, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, approve = draft
    _stdin(monkeypatch, "not-lenas-password-1")
    assert main([*approve, "--as", "lena", "--password-stdin"]) == 2
    assert "wrong password" in capsys.readouterr().err
    assert _approvers(session) == []
    failed = session.scalars(select(LoginAttempt.key).where(LoginAttempt.succeeded.is_(False))).all()
    assert "account:lena" in failed


def test_approving_as_a_lead_with_their_password_records_them_as_approver(
        draft: tuple[Desk, list[str]], session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _, approve = draft
    _stdin(monkeypatch, PASSWORD)
    assert main([*approve, "--as", "lena", "--password-stdin"]) == 0
    assert _approvers(session) == ["lena"]
    assert "user.login" in session.scalars(select(AuditEvent.action).where(AuditEvent.actor_name == "lena")).all()


def test_approving_without_a_proof_prompts_for_the_password(
        draft: tuple[Desk, list[str]], session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _, approve = draft
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSWORD)
    assert main([*approve, "--as", "lena"]) == 0
    assert asked == ["Password for lena: "] and _approvers(session) == ["lena"]


def test_an_api_token_proves_only_its_own_user(draft: tuple[Desk, list[str]], session: Session,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    desk, approve = draft
    _, carols = accounts.issue_token(session, actor=desk.principal(desk.carol), user_id=desk.carol.id, name="cli")
    _, lenas = accounts.issue_token(session, actor=desk.principal(desk.lena), user_id=desk.lena.id, name="cli")
    session.commit()
    _stdin(monkeypatch, carols)
    assert main([*approve, "--as", "lena", "--token-stdin"]) == 2
    assert _approvers(session) == []
    _stdin(monkeypatch, lenas)
    assert main([*approve, "--as", "lena", "--token-stdin"]) == 0
    assert _approvers(session) == ["lena"]


def test_approve_help_says_the_approver_must_prove_who_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["runbooks", "approve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "their password is asked for" in text and "--password-stdin" in text and "--token-stdin" in text
