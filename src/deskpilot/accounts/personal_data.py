"""What the accounts area holds about a person: the account, its teams, tokens, sessions and sign-ins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.attempts import account_key
from deskpilot.accounts.models import ApiToken, LoginAttempt, PasswordRestorePoint, User, WebSession
from deskpilot.personal_data import FunctionSource, Person, Section, columns

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


SOURCE = FunctionSource("account", collect)
