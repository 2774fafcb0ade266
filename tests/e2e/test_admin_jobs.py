"""In headless Chromium: an administrator opens the jobs page from the menu, reads why two runs failed for good,
retries one and discards the other; both move to the handled list with who did it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import SignIn
from tests.factories import Desk
from tests.jobs.test_dead_letters import plant_failures


def test_an_admin_retries_and_discards_failed_runs(signed_in: SignIn, session: Session, desk: Desk,
                                                    artifacts_dir: Path) -> None:
    del desk
    retried, discarded = plant_failures(session)
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    expect(adam.get_by_role("heading", name="Background jobs")).to_be_visible()
    row = adam.locator(f"#failed-{retried.id}")
    expect(row).to_contain_text("ConnectionRefusedError: server down (attempt 2)")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-jobs.png"), full_page=True)

    row.get_by_role("button", name=f"Retry test.unreachable run {retried.id}").click()
    expect(adam.get_by_role("status")).to_contain_text("The run is queued again")
    adam.locator(f"#failed-{discarded.id}").get_by_role("button", name="Discard").click()
    expect(adam.get_by_role("status")).to_contain_text("The run was discarded.")

    expect(adam.get_by_text("No failed runs")).to_be_visible()
    expect(adam.locator(f"#handled-{retried.id}")).to_contain_text("retry requested")
    expect(adam.locator(f"#handled-{discarded.id}")).to_contain_text("discarded")
    expect(adam.locator(f"#handled-{discarded.id}")).to_contain_text("adam")
