"""/api/v1/auth, /api/v1/users, /api/v1/teams."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.schemas import (
    LoginRequest,
    PasswordChange,
    TeamCreate,
    TeamRead,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from deskpilot.api.deps import SESSION_COOKIE, CurrentPrincipal, IdPath, Limit, Offset, SessionDep, SettingsDep
from deskpilot.clock import utcnow

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/login", operation_id="login")
def sign_in(data: LoginRequest, request: Request, response: Response, session: SessionDep,
            settings: SettingsDep) -> UserRead:
    """Sign in with a password; sets the session cookie used by the pages. Refused (403) when the desk turned
    password sign-in off for its identity provider."""
    login.require_local_passwords(enabled=settings.local_passwords, provider_label=settings.oidc_label)
    client = login.client_address(request.client.host if request.client else "unknown",
                                  request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    user = login.authenticate(session, username=data.username, password=data.password, client=client,
                              per_account=settings.login_attempts_per_minute,
                              per_client=settings.login_attempts_per_client_per_minute)
    secret = login.open_session(session, user=user, hours=settings.session_hours)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        max_age=settings.session_hours * 3600, secure=settings.uses_https)
    return UserRead.model_validate(user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, operation_id="logout")
def sign_out(request: Request, response: Response, session: SessionDep) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        login.close_session(session, secret=cookie)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", operation_id="get_me")
def me(session: SessionDep, actor: CurrentPrincipal) -> UserRead:
    return UserRead.model_validate(accounts.get_visible(session, actor=actor, user_id=actor.user_id or 0))


@router.get("/users", operation_id="list_users")
def list_users(session: SessionDep, actor: CurrentPrincipal, role: Role | None = None, offset: Offset = 0,
               limit: Limit = 50) -> UserPage:
    rows, total = accounts.get_all(session, actor=actor, role=role, offset=offset, limit=limit)
    return UserPage(items=[UserRead.model_validate(u) for u in rows], total=total)


@router.post("/users", status_code=status.HTTP_201_CREATED, operation_id="create_user")
def create_user(data: UserCreate, session: SessionDep, actor: CurrentPrincipal) -> UserRead:
    return UserRead.model_validate(accounts.create(session, actor=actor, data=data))


# The /users/me/... routes come before /users/{user_id}/... so that "me" is never read as an id.
@router.get("/users/me/tokens", operation_id="list_my_tokens")
def list_my_tokens(session: SessionDep, actor: CurrentPrincipal) -> list[TokenRead]:
    """My API tokens, newest first, with their expiry and last use (never the secrets)."""
    return list_tokens(actor.user_id or 0, session, actor)


@router.post("/users/me/tokens", status_code=status.HTTP_201_CREATED, operation_id="issue_my_token")
def issue_my_token(data: TokenCreate, session: SessionDep, actor: CurrentPrincipal,
                   settings: SettingsDep) -> TokenIssued:
    """A new API token for me; the secret is in this answer only."""
    return issue_token(actor.user_id or 0, data, session, actor, settings)


@router.delete("/users/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               operation_id="revoke_my_token")
def revoke_my_token(token_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> None:
    accounts.revoke_token(session, actor=actor, user_id=actor.user_id or 0, token_id=token_id)


@router.post("/users/me/password", status_code=status.HTTP_204_NO_CONTENT, operation_id="change_my_password")
def change_my_password(data: PasswordChange, request: Request, session: SessionDep,
                       actor: CurrentPrincipal) -> None:
    """Change my own password; my other web sessions end. A wrong current password is refused (403)."""
    accounts.change_own_password(session, actor=actor, current_password=data.current_password,
                                 new_password=data.new_password, keep_session=request.cookies.get(SESSION_COOKIE))


@router.get("/users/{user_id}", operation_id="get_user")
def get_user(user_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> UserRead:
    return UserRead.model_validate(accounts.get_visible(session, actor=actor, user_id=user_id))


@router.patch("/users/{user_id}", operation_id="update_user")
def update_user(user_id: IdPath, data: UserUpdate, session: SessionDep, actor: CurrentPrincipal) -> UserRead:
    """Change a user; deactivating ends their sessions and tokens. Leaving no active admin is refused (409)."""
    return UserRead.model_validate(accounts.update(session, actor=actor, user_id=user_id, data=data))


@router.get("/users/{user_id}/tokens", operation_id="list_tokens")
def list_tokens(user_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[TokenRead]:
    now = utcnow()
    return [TokenRead.of(t, now=now) for t in accounts.get_tokens(session, actor=actor, user_id=user_id)]


@router.post("/users/{user_id}/tokens", status_code=status.HTTP_201_CREATED, operation_id="issue_token")
def issue_token(user_id: IdPath, data: TokenCreate, session: SessionDep, actor: CurrentPrincipal,
                settings: SettingsDep) -> TokenIssued:
    token, secret = accounts.issue_token(session, actor=actor, user_id=user_id, name=data.name,
                                         expires_in_days=data.expires_in_days or settings.api_token_days)
    return TokenIssued(id=token.id, name=token.name, token=secret, expires_at=token.expires_at)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               operation_id="revoke_token")
def revoke_token(user_id: IdPath, token_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> None:
    accounts.revoke_token(session, actor=actor, user_id=user_id, token_id=token_id)


@router.get("/teams", operation_id="list_teams")
def list_teams(session: SessionDep, actor: CurrentPrincipal) -> list[TeamRead]:
    return [TeamRead.model_validate(t) for t in accounts.get_teams(session, actor=actor)]


@router.post("/teams", status_code=status.HTTP_201_CREATED, operation_id="create_team")
def create_team(data: TeamCreate, session: SessionDep, actor: CurrentPrincipal) -> TeamRead:
    return TeamRead.model_validate(accounts.create_team(session, actor=actor, data=data))
