"""The reset from the sign-in page, signed out: it never tells who exists, resets only requesters, counts
wrong codes, and completes only its own requests. On each database, against deskpilot's own accounts."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, RateLimited
from deskpilot.runbooks import self_service, sign_in_reset
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.mailer import mailer_for
from deskpilot.runbooks.models import SelfServiceRequest
from tests.factories import Desk
from tests.runbooks.conftest import last_code
from tests.runbooks.test_account_directory import NEW


def _mails(settings: Settings) -> int:
    return len(list(settings.mail_drop_dir.glob("*.eml"))) if settings.mail_drop_dir.exists() else 0


def test_unknown_and_staff_accounts_get_the_same_answer_and_no_code(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    for account in ("nobody", "nobody@northwind.example", "carol", approved.adam.email):
        assert sign_in_reset.start(session, settings=own_settings, account=account, client="10.0.0.1",
                                   mailer=mailer_for(own_settings)) is None
    assert _mails(own_settings) == 0
    with pytest.raises(RateLimited):
        for _ in range(own_settings.login_attempts_per_client_per_minute):
            sign_in_reset.start(session, settings=own_settings, account="alice", client="10.0.0.1",
                                mailer=mailer_for(own_settings))


def test_a_signed_out_requester_resets_with_the_code_after_a_wrong_one(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    request_id = sign_in_reset.start(session, settings=own_settings, account="Alice", client="10.0.0.2",
                                     mailer=mailer_for(own_settings))
    assert request_id is not None and _mails(own_settings) == 1
    code = last_code(own_settings)
    with pytest.raises(InvalidInput, match="policy"):
        sign_in_reset.complete(session, settings=own_settings, request_id=request_id, code=code,
                               new_password="short")
    with pytest.raises(InvalidInput, match="not right"):
        sign_in_reset.complete(session, settings=own_settings, request_id=request_id,
                               code="000000" if code != "000000" else "111111", new_password=NEW)
    request = session.get(SelfServiceRequest, request_id)
    assert request is not None and request.attempts == 1
    run = sign_in_reset.complete(session, settings=own_settings, request_id=request_id, code=code, new_password=NEW)
    assert run.status is RunStatus.SUCCEEDED and request.status == "completed"


def test_a_chat_request_cannot_be_completed_from_the_sign_in_page(
        session: Session, own_settings: Settings, approved: Desk) -> None:
    challenge = self_service.start(session, settings=own_settings, requester=Principal.of(approved.alice),
                                   mailer=mailer_for(own_settings), conversation_ref="conversation:1")
    with pytest.raises(InvalidInput, match="not right"):
        sign_in_reset.complete(session, settings=own_settings, request_id=challenge.request_id,
                               code=last_code(own_settings), new_password=NEW)
    assert sign_in_reset.needs_code(session, request_id=0)
