"""An administrator runs the desk's set-up in headless Chromium: a queue, a user, their role, their access."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import SignIn
from tests.factories import Desk


def test_an_admin_creates_a_queue_and_a_user_changes_their_role_and_deactivates_them(
        signed_in: SignIn, desk: Desk, artifacts_dir: Path) -> None:
    del desk
    adam = signed_in("adam")
    expect(adam.get_by_role("heading", name="Administration")).to_be_visible()
    menu = adam.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Console")).to_have_count(1)
    expect(menu.get_by_role("link", name="Queue", exact=True)).to_have_count(0)

    menu.get_by_role("link", name="Queues").click()
    adam.get_by_label("Queue name").fill("Printers")
    adam.get_by_label("Description").fill("Paper jams and toner")
    adam.get_by_label("Owning team").select_option(label="Network Ops")
    adam.get_by_role("button", name="Create queue").click()
    expect(adam.get_by_role("status")).to_contain_text("The queue was created")
    expect(adam.get_by_role("row", name="Printers")).to_contain_text("Network Ops")

    menu.get_by_role("link", name="Users").click()
    adam.get_by_label("Username", exact=True).fill("nina")
    adam.get_by_label("E-mail").fill("nina@northwind.example")
    adam.get_by_label("Full name", exact=True).fill("Nina Novak")
    adam.get_by_label("Role", exact=True).select_option(label="agent")
    adam.get_by_label("Service Desk").check()
    adam.get_by_role("button", name="Create user").click()
    expect(adam.locator("#initial-password")).to_be_visible()
    expect(adam.get_by_role("row", name="nina")).to_contain_text("Service Desk")

    adam.locator("#user-created").get_by_role("link", name="nina").click()
    adam.get_by_label("Role", exact=True).select_option(label="team lead")
    adam.get_by_role("button", name="Save changes").click()
    expect(adam.get_by_role("status")).to_contain_text("name, role and teams were saved")
    expect(adam.get_by_label("Role", exact=True)).to_have_value("lead")

    adam.get_by_role("button", name="Deactivate").click()
    expect(adam.get_by_role("status")).to_contain_text("The user was deactivated")
    expect(adam.locator("#user-status")).to_have_text("deactivated")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-user-deactivated.png"), full_page=True)
    adam.get_by_role("link", name="All users").click()
    expect(adam.get_by_role("row", name="nina")).to_contain_text("deactivated")
    expect(adam.get_by_role("row", name="nina")).to_contain_text("team lead")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-users.png"), full_page=True)
