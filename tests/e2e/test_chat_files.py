"""A screenshot sent in the chat reaches the agent: the requester attaches it in the open chat, asks for a person,
and the agent finds it on the ticket in the console and opens it. Screenshots: test-artifacts/e2e-files-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import PROBLEM, _ask, _kb
from tests.factories import Desk

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"


def test_a_screenshot_sent_in_the_chat_is_on_the_agents_ticket(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    _kb(session)
    alice = signed_in("alice")
    _ask(alice, PROBLEM)
    alice.get_by_label("Send a screenshot or a log file").set_input_files(
        files=[{"name": "vpn-error.png", "mimeType": "image/png", "buffer": PNG}])
    alice.get_by_role("button", name="Attach file").click()
    expect(alice.locator("#chat-files")).to_contain_text("vpn-error.png")
    alice.get_by_role("button", name="Talk to a human").click()
    notice = alice.locator(".from-system").last
    expect(notice).to_contain_text("You asked for a person")
    ticket = notice.inner_text().split("DP-", 1)[1].split(" ", 1)[0]
    alice.screenshot(path=str(artifacts_dir / "e2e-files-chat.png"), full_page=True)

    carol = signed_in("carol")
    carol.goto(f"/console/tickets/{ticket}")
    files = carol.locator("#attachments")
    expect(files).to_contain_text("vpn-error.png")
    expect(files).to_contain_text("chat")
    with carol.expect_popup() as popup:
        files.get_by_role("link", name="view").click()
    assert popup.value.url.endswith("?inline=true")
    carol.screenshot(path=str(artifacts_dir / "e2e-files-console.png"), full_page=True)
