"""API tokens expire, are capped, listed and revoked; deactivation ends access; the last admin stays one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import TOKEN_MAX_ACTIVE
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserUpdate
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied, RateLimited
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, SYSTEM, Desk, make_desk, make_user


@pytest.fixture
def desk(session: Session) -> Desk:
    return make_desk(session)


def _actions(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(user_id))
                                .order_by(AuditEvent.id)))


def test_a_token_stops_working_when_it_expires(session: Session, desk: Desk, clock: FrozenClock) -> None:
    token, secret = accounts.issue_token(session, actor=Principal.of(desk.carol), user_id=desk.carol.id,
                                         name="laptop script", expires_in_days=7)
    assert token.expires_at == clock.now + timedelta(days=7)
    assert accounts.user_for_token(session, token=secret) is desk.carol
    clock.advance(days=7, seconds=1)
    assert accounts.user_for_token(session, token=secret) is None


def test_a_token_lifetime_beyond_the_maximum_is_refused(session: Session, desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="1 to 365 days"):
        accounts.issue_token(session, actor=SYSTEM, user_id=desk.carol.id, name="forever", expires_in_days=366)


def test_a_user_cannot_hold_more_than_ten_live_tokens(session: Session, desk: Desk) -> None:
    actor = Principal.of(desk.alice)
    tokens = [accounts.issue_token(session, actor=actor, user_id=desk.alice.id, name=f"t{i}")[0]
              for i in range(TOKEN_MAX_ACTIVE)]
    with pytest.raises(Conflict, match="10 active API tokens"):
        accounts.issue_token(session, actor=actor, user_id=desk.alice.id, name="one too many")
    accounts.revoke_token(session, actor=actor, user_id=desk.alice.id, token_id=tokens[0].id)
    accounts.issue_token(session, actor=actor, user_id=desk.alice.id, name="replacement")


def test_revoked_token_is_refused_and_listed_as_revoked(session: Session, desk: Desk) -> None:
    token, secret = accounts.issue_token(session, actor=Principal.of(desk.bob), user_id=desk.bob.id, name="ci")
    accounts.revoke_token(session, actor=Principal.of(desk.bob), user_id=desk.bob.id, token_id=token.id)
    assert accounts.user_for_token(session, token=secret) is None
    listed = accounts.get_tokens(session, actor=Principal.of(desk.bob), user_id=desk.bob.id)
    assert [(t.id, t.revoked) for t in listed] == [(token.id, True)]
    assert "token.revoke" in _actions(session, desk.bob.id)


def test_only_the_owner_or_an_admin_lists_and_revokes_tokens(session: Session, desk: Desk) -> None:
    token, _ = accounts.issue_token(session, actor=Principal.of(desk.alice), user_id=desk.alice.id, name="x")
    for outsider in (desk.bob, desk.lena, desk.audrey):
        with pytest.raises(PermissionDenied):
            accounts.get_tokens(session, actor=Principal.of(outsider), user_id=desk.alice.id)
        with pytest.raises(PermissionDenied):
            accounts.revoke_token(session, actor=Principal.of(outsider), user_id=desk.alice.id, token_id=token.id)
    assert accounts.get_tokens(session, actor=Principal.of(desk.adam), user_id=desk.alice.id) == [token]
    accounts.revoke_token(session, actor=Principal.of(desk.adam), user_id=desk.alice.id, token_id=token.id)


def test_deactivation_ends_sessions_and_tokens_so_reactivation_revives_neither(session: Session,
                                                                                desk: Desk) -> None:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=desk.carol.id, name="script")
    cookie = login.open_session(session, user=desk.carol, hours=8)
    admin = Principal.of(desk.adam)
    accounts.update(session, actor=admin, user_id=desk.carol.id, data=UserUpdate(is_active=False))
    accounts.update(session, actor=admin, user_id=desk.carol.id, data=UserUpdate(is_active=True))
    assert accounts.user_for_token(session, token=secret) is None
    assert login.user_for_session(session, secret=cookie) is None
    assert "user.access_ended" in _actions(session, desk.carol.id)
    accounts.update(session, actor=admin, user_id=desk.carol.id, data=UserUpdate(is_active=False))
    with pytest.raises(Conflict, match="deactivated"):
        accounts.issue_token(session, actor=admin, user_id=desk.carol.id, name="while away")


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(session: Session, desk: Desk) -> None:
    for actor in (Principal.of(desk.adam), SYSTEM):
        with pytest.raises(Conflict, match="last active administrator"):
            accounts.update(session, actor=actor, user_id=desk.adam.id, data=UserUpdate(is_active=False))
        with pytest.raises(Conflict, match="last active administrator"):
            accounts.update(session, actor=actor, user_id=desk.adam.id, data=UserUpdate(role=Role.AGENT))
    ada = make_user(session, "ada", Role.ADMIN)
    accounts.update(session, actor=SYSTEM, user_id=ada.id, data=UserUpdate(is_active=False))
    with pytest.raises(Conflict, match="last active administrator"):
        accounts.update(session, actor=SYSTEM, user_id=desk.adam.id, data=UserUpdate(role=Role.LEAD))
    accounts.update(session, actor=SYSTEM, user_id=ada.id, data=UserUpdate(is_active=True))
    accounts.update(session, actor=Principal.of(desk.adam), user_id=desk.adam.id, data=UserUpdate(role=Role.LEAD))
    assert desk.adam.role == Role.LEAD


def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(session: Session,
                                                                                desk: Desk) -> None:
    here = login.open_session(session, user=desk.lena, hours=8)
    elsewhere = login.open_session(session, user=desk.lena, hours=8)
    me = Principal.of(desk.lena)
    with pytest.raises(PermissionDenied, match="current password is wrong"):
        accounts.change_own_password(session, actor=me, current_password="guess-1234",
                                     new_password="New-Sturdy-Pass-9")
    assert _actions(session, desk.lena.id)[-1] == "user.password_change_refused"
    ended = accounts.change_own_password(session, actor=me, current_password=PASSWORD,
                                         new_password="New-Sturdy-Pass-9", keep_session=here)
    assert ended == 1
    assert login.user_for_session(session, secret=here) is desk.lena
    assert login.user_for_session(session, secret=elsewhere) is None
    assert _actions(session, desk.lena.id)[-1] == "user.password_change"


def test_an_administrator_setting_a_password_ends_the_users_sessions(session: Session, desk: Desk) -> None:
    secret = login.open_session(session, user=desk.carol, hours=8)
    assert login.user_for_session(session, secret=secret) is desk.carol
    accounts.set_password(session, actor=Principal.of(desk.adam), user_id=desk.carol.id,
                          password="A-new-password-2026")
    assert login.user_for_session(session, secret=secret) is None
    assert "user.password_set" in _actions(session, desk.carol.id)


def test_guessing_the_current_password_is_rate_limited_like_sign_in(session: Session, desk: Desk) -> None:
    carol = Principal.of(desk.carol)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            accounts.change_own_password(session, actor=carol, current_password="guess", new_password="Guess-2026-x")
    with pytest.raises(RateLimited, match="Too many failed password attempts"):
        accounts.change_own_password(session, actor=carol, current_password=PASSWORD, new_password="Right-2026-xy")
    with pytest.raises(RateLimited, match="Too many failed sign-in attempts"):
        login.authenticate(session, username="carol", password=PASSWORD, client="10.0.0.9", per_account=5,
                           per_client=15)
