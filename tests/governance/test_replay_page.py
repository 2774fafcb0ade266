"""The replay gate page: leads and admins see the last runs side by side with what changed; agents may not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.governance import gate, replay_sets
from deskpilot.runtime import AiRuntime
from tests.factories import Desk
from tests.governance.conftest import DEGRADED, demo_rows, resolved_history
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of the tests in this module
from tests.web.conftest import PageClient


@pytest.fixture
def browser(live_server: str) -> Iterator[PageClient]:  # noqa: F811 - the fixture imported above
    with PageClient(base_url=live_server, timeout=30, follow_redirects=False) as client:
        yield client


def test_leads_see_the_last_replay_runs_side_by_side_and_agents_do_not(
        session: Session, desk: Desk, model_settings: Settings, ai_runtime: AiRuntime,  # noqa: F811
        browser: PageClient) -> None:
    lead = Principal.of(desk.lena)
    resolved_history(session, desk.alice)
    replay_sets.build(session, actor=lead)
    for version in ("v0002", "v0001"):
        gate.run(session, actor=lead, settings=model_settings, embedder=ai_runtime.embedder,
                 candidate=gate.Candidate(model_version=version))
    session.commit()

    browser.sign_in("lena")
    page = browser.get("/governance/replay")
    assert page.status_code == 200
    text = page.text
    assert text.index("triage-category v0001") < text.index("triage-category v0002")  # newest first
    assert "refused" in text and "passed" in text
    assert f"<th scope=\"row\">{DEGRADED}</th>" in text and "100.0% → 0.0% (-100.0 points" in text
    assert "What changed in run" in text and f"v1: {len(demo_rows())} cases" in text
    assert 'href="/governance/replay"' in text

    browser.cookies.clear()
    browser.sign_in("carol")
    assert browser.get("/governance/replay").status_code == 403
