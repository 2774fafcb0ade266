"""Accounts from the identity provider, on both databases: made just in time, role and teams from groups,
kept in line at every sign-in; and password sign-in switched off when the desk says so."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import sso
from deskpilot.accounts.models import Role
from deskpilot.accounts.sso import Identity
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import NotAuthenticated
from deskpilot.runtime import AiRuntime
from tests.factories import PASSWORD, make_desk, make_team
from tests.live_server import server_settings, serving

ROLES = {"it-admins": "admin", "it-leads": "lead", "it-agents": "agent"}
TEAMS = {"it-agents": "Service Desk", "net": "Network Ops"}


def _identity(email: str = "nina@northwind.example", groups: tuple[str, ...] = (), name: str = "Nina Novak",
              username: str = "nina") -> Identity:
    return Identity(issuer="https://id.northwind.example", subject="248289761001", email=email, full_name=name,
                    preferred_username=username, groups=groups)


def test_the_strongest_role_among_the_groups_wins_and_unmapped_groups_make_a_requester() -> None:
    assert sso.role_for(["staff", "it-agents", "it-leads"], ROLES) is Role.LEAD
    assert sso.role_for(["staff"], ROLES) is Role.REQUESTER
    assert sso.role_for(["it-agents"], {}) is None, "no mapping: roles stay managed in deskpilot"


def test_a_first_sign_in_makes_the_account_with_role_and_teams_and_it_is_audited(session: Session) -> None:
    make_desk(session)
    user = sso.sign_in(session, identity=_identity(groups=("it-agents", "net")), role_groups=ROLES, team_groups=TEAMS)
    assert (user.username, user.role, user.password_hash) == ("nina", Role.AGENT, None)
    assert sorted(team.name for team in user.teams) == ["Network Ops", "Service Desk"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create",
                                                     AuditEvent.subject_id == str(user.id))).one()
    assert event.actor_name == "sso"


def test_a_group_change_moves_the_role_and_the_mapped_teams_but_keeps_teams_set_by_hand(session: Session) -> None:
    make_desk(session)
    printers = make_team(session, "Printers")
    user = sso.sign_in(session, identity=_identity(groups=("it-agents",)), role_groups=ROLES, team_groups=TEAMS)
    user.teams.append(printers)
    session.flush()
    again = sso.sign_in(session, identity=_identity(groups=("it-leads", "net")), role_groups=ROLES, team_groups=TEAMS)
    assert again.id == user.id and again.role is Role.LEAD
    assert sorted(team.name for team in again.teams) == ["Network Ops", "Printers"]
    left = sso.sign_in(session, identity=_identity(groups=()), role_groups=ROLES, team_groups=TEAMS)
    assert left.role is Role.REQUESTER, "leaving every role group leaves only the requester's rights"
    assert [team.name for team in left.teams] == ["Printers"]


def test_an_existing_account_with_that_email_is_the_one_signed_in(session: Session) -> None:
    desk = make_desk(session)
    user = sso.sign_in(session, identity=_identity(email="Carol@Northwind.example", username="c.other"),
                       role_groups={}, team_groups={})
    assert user.id == desk.carol.id and user.role is Role.AGENT, "no role groups: the desk's role stays"


def test_usernames_are_made_valid_and_unique(session: Session) -> None:
    make_desk(session)
    user = sso.sign_in(session, identity=_identity(email="alice@contractor.example", username="Alice Ä!"),
                       role_groups={}, team_groups={})
    assert user.username == "alice2"


def test_no_email_or_a_deactivated_account_is_refused_with_what_to_do(session: Session) -> None:
    desk = make_desk(session)
    with pytest.raises(NotAuthenticated, match="email"):
        sso.sign_in(session, identity=_identity(email=""), role_groups={}, team_groups={})
    desk.bob.is_active = False
    session.flush()
    with pytest.raises(NotAuthenticated, match="deactivated"):
        sso.sign_in(session, identity=_identity(email="bob@northwind.example"), role_groups={}, team_groups={})


def test_with_local_passwords_off_the_page_shows_only_single_sign_on_and_password_sign_in_is_refused(
        database_url: str, tmp_path: Path, session: Session, ai_runtime: AiRuntime) -> None:
    make_desk(session)
    session.commit()
    settings = server_settings(database_url, tmp_path / "var", local_passwords=False,
                               oidc_issuer="https://id.northwind.example", oidc_client_id="deskpilot",
                               oidc_label="Northwind ID")
    with serving(settings, ai_runtime) as url, httpx.Client(base_url=url) as client:
        page = client.get("/sign-in").text
        assert "Sign in with Northwind ID" in page and 'name="password"' not in page
        refused = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert refused.status_code == 403 and "Northwind ID" in refused.json()["message"]
