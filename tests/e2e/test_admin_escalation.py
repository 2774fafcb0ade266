"""An administrator edits a queue's escalation path in headless Chromium; the next SLA sweep walks the new path
and the queue page shows the escalation it raised."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.tickets.calendar import BusinessCalendar
from deskpilot.tickets.escalation import sweep
from tests.e2e.conftest import SignIn
from tests.factories import Desk, make_sla, make_team, open_ticket


def test_admin_edits_an_escalation_path_and_the_sweep_uses_it(signed_in: SignIn, session: Session, desk: Desk,
                                                              artifacts_dir: Path) -> None:
    make_team(session, "Duty managers")
    make_sla(session, first_response=30, resolution=240, definition=BusinessCalendar.always_open().to_dict())
    ticket = open_ticket(session, desk, desk.alice, queue=desk.network, subject="Core switch down")
    session.commit()
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    adam.get_by_role("link", name="Network", exact=True).click()
    path = adam.get_by_role("form", name="Escalation path")
    path.get_by_label("Level number, row 1").fill("1")
    path.get_by_label("Trigger, row 1").select_option("breach")
    path.get_by_label("Minutes after breach, row 1").fill("90")
    path.get_by_label("Notify role, row 1").select_option("lead")
    path.get_by_label("Level number, row 2").fill("2")
    path.get_by_label("Trigger, row 2").select_option("breach")
    path.get_by_label("Minutes after breach, row 2").fill("15")
    path.get_by_role("button", name="Save escalation path").click()
    expect(adam.locator("#escalation-error-2")).to_contain_text("notifies nobody")

    path = adam.get_by_role("form", name="Escalation path")
    expect(path.get_by_label("Minutes after breach, row 2")).to_have_value("15")
    path.get_by_label("Notify team, row 2").select_option(label="Duty managers")
    path.get_by_role("button", name="Save escalation path").click()
    expect(adam.get_by_role("alert")).to_contain_text("Level 2 would fire before level 1")

    path = adam.get_by_role("form", name="Escalation path")
    path.get_by_label("Minutes after breach, row 1").fill("0")
    path.get_by_label("Minutes after breach, row 2").fill("60")
    path.get_by_role("button", name="Save escalation path").click()
    expect(adam.get_by_role("status")).to_contain_text("The escalation path was saved")
    expect(adam.get_by_label("Minutes after breach, row 2")).to_have_value("60")
    expect(adam.get_by_text("The SLA sweep has raised no escalation")).to_be_visible()

    with Session(session.get_bind()) as worker:  # the worker's sweep job, in its own unit of work
        sweep(worker, now=utcnow() + timedelta(minutes=30 + 61))  # past the breach + 60 min
        worker.commit()
    adam.reload()
    notices = adam.get_by_role("region", name="Latest escalations in this queue")
    expect(notices.get_by_role("row", name=f"DP-{ticket.id}")).to_have_count(2)
    expect(notices.get_by_role("row").filter(has_text="2 (breach)")).to_contain_text("Duty managers")
    expect(notices.get_by_role("row").filter(has_text="1 (breach)")).to_contain_text("lead")
    adam.screenshot(path=str(artifacts_dir / "admin-escalation-path.png"), full_page=True)

