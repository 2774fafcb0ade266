"""What the accounts area holds about a person: the account, its teams, tokens, sessions and sign-ins; erasing
pseudonymises the account (its id stays, so the desk's counts and other people's records still add up)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deskpilot.accounts.attempts import account_key
from deskpilot.accounts.models import ApiToken, LoginAttempt, PasswordRestorePoint, User, WebSession
from deskpilot.personal_data import Change, Erasure, FunctionSource, Person, Section, columns

SECRETS = ("password_hash", "token_hash", "previous_hash", "set_hash")


def collect(session: Session, *, person: Person) -> Section:
    user = session.get_one(User, person.user_id)
    account = columns(user, leave_out=SECRETS) | {"teams": sorted(team.name for team in user.teams)}
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    sessions = session.scalars(select(WebSession).where(WebSession.user_id == user.id).order_by(WebSession.id))
    sign_ins = session.scalars(select(LoginAttempt).where(LoginAttempt.key == account_key(user.username))
                               .order_by(LoginAttempt.id))
    restore_points = session.scalars(select(PasswordRestorePoint).where(PasswordRestorePoint.user_id == user.id)
                                     .order_by(PasswordRestorePoint.id))
    return Section(
        name="account", description="The account: names, e-mail, role, teams; API tokens and web sessions "
        "(their secrets are never kept in readable form, so they are not here); sign-in attempts; password "
        "resets that a rollback could still undo (without the password hashes).",
        records={"account": [account],
                 "api_tokens": [columns(token, leave_out=SECRETS) for token in tokens],
                 "web_sessions": [columns(web, leave_out=SECRETS) for web in sessions],
                 "sign_in_attempts": [columns(attempt) for attempt in sign_ins],
                 "password_restore_points": [columns(point, leave_out=SECRETS) for point in restore_points]},
        subjects={("user", str(user.id))})


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    user = session.get_one(User, erasure.person.user_id)
    key = account_key(erasure.person.username)
    tokens = list(session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)))
    sessions = list(session.scalars(select(WebSession.id).where(WebSession.user_id == user.id)))
    sign_ins = list(session.scalars(select(LoginAttempt.id).where(LoginAttempt.key == key)))
    restore_points = list(session.scalars(select(PasswordRestorePoint.id)
                                          .where(PasswordRestorePoint.user_id == user.id)))
    pseudonymised = user.username != erasure.pseudonym
    if apply:
        user.username, user.email, user.full_name = erasure.pseudonym, erasure.pseudonym_email, "Erased person"
        user.password_hash, user.directory_dn, user.is_active, user.is_vip = None, None, False, False
        user.teams.clear()
        session.execute(delete(ApiToken).where(ApiToken.id.in_(tokens)))
        session.execute(delete(WebSession).where(WebSession.id.in_(sessions)))
        session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(sign_ins)))
        session.execute(delete(PasswordRestorePoint).where(PasswordRestorePoint.id.in_(restore_points)))
        session.flush()
    return [Change("account", "account", int(pseudonymised), f"renamed {erasure.pseudonym}, deactivated, "
                   "password and directory link removed, teams left"),
            Change("account", "api_tokens", len(tokens), "deleted"),
            Change("account", "web_sessions", len(sessions), "deleted (signed out)"),
            Change("account", "sign_in_attempts", len(sign_ins), "deleted"),
            Change("account", "password_restore_points", len(restore_points), "deleted")]


SOURCE = FunctionSource("account", collect, eraser=erase)
