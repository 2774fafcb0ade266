"""The escalation path on an admin's queue page over real HTTP: shown, replaced as typed, refused with the row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.tickets.models import Queue
from tests.factories import Desk
from tests.web.conftest import PageClient, csrf_token


def _row(i: int, level: str, trigger: str, minutes: str = "0", team: str = "", role: str = "") -> dict[str, str]:
    return {f"level_{i}": level, f"trigger_{i}": trigger, f"after_minutes_{i}": minutes, f"notify_team_{i}": team,
            f"notify_role_{i}": role}


def test_an_admin_sets_a_queues_escalation_path(browser: PageClient, session: Session, desk: Desk) -> None:
    browser.sign_in("adam")
    page = browser.get(f"/admin/queues/{desk.network.id}")
    assert page.status_code == 200 and "Escalation path" in page.text and 'name="level_1"' in page.text
    team = str(desk.dave.teams[0].id)
    saved = browser.post(f"/admin/queues/{desk.network.id}/escalation", data={
        "csrf_token": csrf_token(page.text), "rows": "3", **_row(0, "1", "near_breach", team=team),
        **_row(1, "2", "breach", "30", role="lead"), **_row(2, "", "breach")})
    assert saved.status_code == 303, saved.text
    shown = browser.get(saved.headers["location"])
    assert "The escalation path was saved" in shown.text
    session.expire_all()
    queue = session.get(Queue, desk.network.id)
    assert queue is not None
    assert [(lvl.level, lvl.trigger, lvl.after_minutes, lvl.notify_team_id, lvl.notify_role)
            for lvl in queue.escalation_levels] == [(1, "near_breach", 0, int(team), None),
                                                    (2, "breach", 30, None, "lead")]

    removed = browser.post(f"/admin/queues/{desk.network.id}/escalation", data={
        "csrf_token": csrf_token(shown.text), "rows": "2", **_row(0, "1", "near_breach", team=team),
        **_row(1, "2", "breach", "30", role="lead"), "remove_0": "on"})
    assert removed.status_code == 303, removed.text
    session.rollback()  # end the read transaction begun above: the next read sees this change
    assert [lvl.level for lvl in session.get(Queue, desk.network.id).escalation_levels] == [2]  # type: ignore[union-attr]


def test_a_refused_path_is_shown_again_as_typed_with_the_row_marked(browser: PageClient, session: Session,
                                                                    desk: Desk) -> None:
    browser.sign_in("adam")
    token = csrf_token(browser.get(f"/admin/queues/{desk.network.id}").text)
    answer = browser.post(f"/admin/queues/{desk.network.id}/escalation", data={
        "csrf_token": token, "rows": "2", **_row(0, "1", "breach", "15", role="lead"), **_row(1, "2", "breach", "90")})
    assert answer.status_code == 422
    assert "Error in row 2:" in answer.text and "notifies nobody" in answer.text
    assert 'value="90"' in answer.text
    backwards = browser.post(f"/admin/queues/{desk.network.id}/escalation", data={
        "csrf_token": token, "rows": "2", **_row(0, "1", "breach", "60", role="lead"),
        **_row(1, "2", "breach", "5", role="admin")})
    assert backwards.status_code == 422 and "Level 2 would fire before level 1" in backwards.text
    session.expire_all()
    assert session.get(Queue, desk.network.id).escalation_levels == []  # type: ignore[union-attr]


def test_agents_cannot_open_or_post_the_admin_queue_page(browser: PageClient, desk: Desk) -> None:
    browser.sign_in("carol")
    assert browser.get(f"/admin/queues/{desk.network.id}").status_code == 403
    token = csrf_token(browser.get("/console").text)
    answer = browser.post(f"/admin/queues/{desk.network.id}/escalation", data={"csrf_token": token, "rows": "0"})
    assert answer.status_code == 403
