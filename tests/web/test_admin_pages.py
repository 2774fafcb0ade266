"""The admin pages: only administrators reach them; every change goes through the services and is audited."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import Team, User
from deskpilot.audit.models import AuditEvent
from deskpilot.tickets.models import Queue
from tests.factories import Desk
from tests.web.conftest import PageClient

ADMIN_PAGES = ["/admin", "/admin/users", "/admin/teams", "/admin/queues", "/admin/sla"]


def _see_server_writes(session: Session) -> None:
    """End the test's read snapshot and forget loaded rows, so what the server committed is read afresh."""
    session.rollback()
    session.expire_all()


def _actions(session: Session, subject_type: str) -> list[str]:
    _see_server_writes(session)
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == subject_type)))


def test_the_administrator_gets_the_admin_menu_instead_of_a_leads(browser: PageClient, desk: Desk) -> None:
    del desk
    landing = browser.sign_in("adam")
    assert landing.headers["location"] == "/admin"
    page = browser.get("/admin")
    assert page.status_code == 200
    nav = page.text.split('aria-label="Main"')[1].split("</nav>")[0]
    for link in ('href="/admin/users"', 'href="/admin/teams"', 'href="/admin/queues"'):
        assert link in nav
    assert 'href="/console"' in nav and 'href="/queue"' not in nav and 'href="/tickets/new"' not in nav


@pytest.mark.parametrize("username", ["lena", "carol", "alice", "audrey"])
def test_other_roles_get_403_on_admin_pages_and_see_no_admin_link(browser: PageClient, desk: Desk,
                                                                   username: str) -> None:
    del desk
    browser.sign_in(username)
    assert "/admin" not in browser.get("/account").text
    for path in ADMIN_PAGES:
        assert browser.get(path).status_code == 403, path
    refused = browser.post_form("/admin/queues", {"name": "Sneaky"}, from_page="/account")
    assert refused.status_code == 403


def test_anonymous_visitors_of_admin_pages_are_sent_to_sign_in(browser: PageClient, desk: Desk) -> None:
    del desk
    response = browser.get("/admin/users")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_inviting_a_user_shows_a_one_time_password_that_signs_them_in(browser: PageClient, desk: Desk,
                                                                      live_server: str, session: Session) -> None:
    browser.sign_in("adam")
    created = browser.post_form("/admin/users", {"username": "nina", "email": "nina@northwind.example",
                                                 "full_name": "Nina Novak", "role": "agent",
                                                 "team_ids": str(desk.carol.teams[0].id)}, from_page="/admin/users")
    assert created.status_code == 201, created.text
    password = re.search(r'id="initial-password">([^<]+)<', created.text)
    assert password
    assert password.group(1) not in browser.get("/admin/users").text
    with PageClient(base_url=live_server, timeout=30) as nina:
        assert nina.sign_in("nina", password.group(1)).headers["location"] == "/queue"
    assert "user.create" in _actions(session, "user")


def test_a_taken_username_is_explained_with_the_form_kept(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    response = browser.post_form("/admin/users", {"username": "carol", "email": "other@northwind.example",
                                                  "full_name": "Another Carol", "role": "agent"},
                                 from_page="/admin/users")
    assert response.status_code == 409
    assert "is taken" in response.text and 'value="Another Carol"' in response.text


def test_an_invalid_email_is_shown_beside_the_field(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    response = browser.post_form("/admin/users", {"username": "zed", "email": "not-an-address",
                                                  "full_name": "Zed", "role": "agent"}, from_page="/admin/users")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text and 'value="not-an-address"' in response.text


def test_changing_role_and_teams_and_deactivating_goes_through_the_service(browser: PageClient, desk: Desk,
                                                                          session: Session) -> None:
    net_team = desk.dave.teams[0].id
    browser.sign_in("adam")
    page = f"/admin/users/{desk.carol.id}"
    assert 'name="is_vip"' in browser.get(page).text and not desk.carol.is_vip
    changed = browser.post_form(page, {"full_name": "Carol C", "role": "lead", "team_ids": str(net_team),
                                       "is_vip": "on"}, from_page=page)
    assert changed.headers["location"] == f"{page}?done=updated"
    off = browser.post_form(f"{page}/deactivate", {}, from_page=page)
    assert off.headers["location"] == f"{page}?done=deactivated"
    _see_server_writes(session)
    carol = session.get(User, desk.carol.id)
    assert carol is not None
    assert (carol.role, [t.id for t in carol.teams], carol.is_active, carol.is_vip) == (
        Role.LEAD, [net_team], False, True)
    assert _actions(session, "user").count("user.update") == 2


def test_deactivating_the_last_administrator_is_refused_on_the_page(browser: PageClient, desk: Desk,
                                                                    session: Session) -> None:
    browser.sign_in("adam")
    page = f"/admin/users/{desk.adam.id}"
    response = browser.post_form(f"{page}/deactivate", {}, from_page=page)
    assert response.status_code == 409
    assert "last active administrator" in response.text
    _see_server_writes(session)
    adam = session.get(User, desk.adam.id)
    assert adam is not None and adam.is_active


def test_resetting_a_password_shows_the_new_one_once_and_it_works(browser: PageClient, desk: Desk,
                                                                  live_server: str) -> None:
    browser.sign_in("adam")
    page = f"/admin/users/{desk.bob.id}"
    reset = browser.post_form(f"{page}/password", {}, from_page=page)
    password = re.search(r'id="new-password">([^<]+)<', reset.text)
    assert reset.status_code == 200 and password
    with PageClient(base_url=live_server, timeout=30) as bob:
        assert bob.sign_in("bob", password.group(1)).status_code == 303
        assert bob.get("/tickets").status_code == 200


def test_an_admin_lists_and_revokes_a_users_token(browser: PageClient, desk: Desk, session: Session,
                                                  live_server: str) -> None:
    token, secret = accounts.issue_token(session, actor=desk.principal(desk.carol), user_id=desk.carol.id,
                                         name="export script")
    session.commit()
    browser.sign_in("adam")
    page = f"/admin/users/{desk.carol.id}"
    assert "export script" in browser.get(page).text
    revoked = browser.post_form(f"{page}/tokens/{token.id}/revoke", {}, from_page=page)
    assert revoked.headers["location"] == f"{page}?done=revoked"
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"}) as api:
        assert api.get("/api/v1/me").status_code == 401


def test_teams_are_created_and_renamed_and_a_clash_keeps_the_typed_name(browser: PageClient, desk: Desk,
                                                                        session: Session) -> None:
    del desk
    browser.sign_in("adam")
    created = browser.post_form("/admin/teams", {"name": "Field Service", "description": "On site"},
                                from_page="/admin/teams")
    assert created.headers["location"] == "/admin/teams?saved=1"
    team = session.scalar(select(Team).where(Team.name == "Field Service"))
    assert team is not None
    renamed = browser.post_form(f"/admin/teams/{team.id}", {"name": "Field Ops", "description": "On site, EU"},
                                from_page="/admin/teams")
    assert renamed.status_code == 303
    clash = browser.post_form(f"/admin/teams/{team.id}", {"name": "Network Ops", "description": "x"},
                              from_page="/admin/teams")
    assert clash.status_code == 409 and "exists already" in clash.text
    kept = f'id="team-{team.id}-name" name="name" type="text" maxlength="120" required value="Network Ops"'
    assert kept in clash.text
    _see_server_writes(session)
    assert (team.name, team.description) == ("Field Ops", "On site, EU")
    assert _actions(session, "team").count("team.update") == 1


def test_a_queue_created_on_the_page_belongs_to_the_chosen_team(browser: PageClient, desk: Desk,
                                                                session: Session) -> None:
    team_id = desk.dave.teams[0].id
    browser.sign_in("adam")
    created = browser.post_form("/admin/queues", {"name": "Printers", "description": "Paper jams",
                                                  "team_id": str(team_id)}, from_page="/admin/queues")
    assert created.headers["location"] == "/admin/queues?created=1"
    queue = session.scalar(select(Queue).where(Queue.name == "Printers"))
    assert queue is not None and queue.team_id == team_id
    listing = browser.get("/admin/queues").text
    assert re.search(r"Printers</a></th>\s*<td>Paper jams</td>\s*<td>Network Ops</td>", listing)
    duplicate = browser.post_form("/admin/queues", {"name": "Printers"}, from_page="/admin/queues")
    assert duplicate.status_code == 409 and 'value="Printers"' in duplicate.text
    assert "queue.create" in _actions(session, "queue")


def test_an_admin_renames_a_queue_and_hands_it_to_another_team(browser: PageClient, desk: Desk,
                                                               session: Session) -> None:
    queue, other = desk.service_desk, desk.dave.teams[0]
    browser.sign_in("adam")
    page = browser.get(f"/admin/queues/{queue.id}")
    assert page.status_code == 200 and f'value="{queue.name}"' in page.text
    blank = browser.post_form(f"/admin/queues/{queue.id}", {"name": " ", "team_id": str(other.id)},
                              from_page=f"/admin/queues/{queue.id}")
    assert blank.status_code == 422 and 'id="name-error"' in blank.text
    clash = browser.post_form(f"/admin/queues/{queue.id}", {"name": desk.network.name},
                              from_page=f"/admin/queues/{queue.id}")
    assert clash.status_code == 409 and "exists already" in clash.text
    saved = browser.post_form(f"/admin/queues/{queue.id}", {"name": "First Line", "description": "Walk-ins and calls",
                                                            "team_id": str(other.id)},
                              from_page=f"/admin/queues/{queue.id}")
    assert saved.headers["location"] == "/admin/queues?saved=1"
    _see_server_writes(session)
    assert (queue.name, queue.description, queue.team_id) == ("First Line", "Walk-ins and calls", other.id)
    assert "queue.update" in _actions(session, "queue")
