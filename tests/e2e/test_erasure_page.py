"""Two administrators erase a requester from the user's admin page in headless Chromium: a preview, the
request, a refused self-approval, the second admin's approval, and the progress up to done."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.config import Environment, Settings
from deskpilot.db import session_factory, unit_of_work
from deskpilot.privacy import erasure
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.models import ErasureRequest
from deskpilot.privacy.sources import all_sources
from deskpilot.runtime import AiRuntime
from tests.e2e.conftest import SignIn
from tests.factories import Desk, make_user, open_ticket


def test_one_admin_requests_an_erasure_another_approves_it_and_the_page_shows_it_done(
        signed_in: SignIn, desk: Desk, session: Session, engine: Engine, ai_runtime: AiRuntime,
        artifacts_dir: Path, tmp_path: Path) -> None:
    open_ticket(session, desk, desk.alice, description="ALICE-E2E-ERASE-MARKER: my badge EMP-40412 fails")
    make_user(session, "ada", Role.ADMIN)
    session.commit()
    adam = signed_in("adam")
    adam.goto(f"/admin/users/{desk.alice.id}")
    adam.get_by_label("Other identifiers to scrub, one per line (phone, employee number)").fill("EMP-40412")
    adam.get_by_role("button", name="Preview erasure").click()
    expect(adam.get_by_role("heading", name="Erasure of Alice")).to_be_visible()
    expect(adam.locator("#erasure-plan")).to_contain_text("subject and description erased")
    adam.get_by_role("button", name="Request erasure").click()
    expect(adam.get_by_role("status")).to_contain_text("Another administrator must approve it")
    expect(adam.locator(".erasure-status")).to_have_text("requested")
    adam.get_by_role("button", name="Approve erasure").click()
    expect(adam.get_by_role("alert")).to_contain_text("another administrator must approve it")
    adam.goto(f"/admin/users/{desk.alice.id}")
    adam.get_by_role("button", name="Cancel erasure request").click()
    expect(adam.get_by_role("status")).to_contain_text("nothing was erased")
    expect(adam.locator(".erasure-status")).to_have_text("cancelled")
    adam.get_by_role("button", name="Preview erasure").click()
    adam.get_by_role("button", name="Request erasure").click()
    expect(adam.locator(".erasure-status").first).to_have_text("requested")

    ada = signed_in("ada")
    ada.goto(f"/admin/users/{desk.alice.id}")
    ada.get_by_role("button", name="Approve erasure").click()
    expect(ada.get_by_role("status")).to_contain_text("The erasure was approved")
    expect(ada.locator(".erasure-steps")).to_contain_text("0 of")

    # What the `privacy.erase` job does in the worker.
    factory = session_factory(engine)
    with unit_of_work(factory) as work:
        erasure_id = work.scalars(select(ErasureRequest.id).where(
            ErasureRequest.status == ErasureStatus.APPROVED)).one()
    settings = Settings(database_url=str(engine.url), environment=Environment.TEST, data_dir=tmp_path / "var")
    erasure.run(factory, erasure.ErasureContext(settings=settings, embedder=ai_runtime.embedder,
                                                sources=all_sources()), erasure_id=erasure_id)
    ada.reload()
    expect(ada.locator(".erasure-status").first).to_have_text("done")
    total = len(erasure.steps_of(all_sources()))
    expect(ada.locator(".erasure-steps")).to_have_text(f"{total} of {total}")
    expect(ada.get_by_role("heading", name=f"erased-{desk.alice.id}")).to_be_visible()
    ada.screenshot(path=str(artifacts_dir / "e2e-admin-erasure.png"), full_page=True)
