"""An admin puts one ITSM's overlay into shadow mode on the governance page in headless Chromium: the overlay of
that connector then records its triage without writing to the ITSM, and the other connectors keep writing."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from deskpilot.connectors.overlay_triage import mode_of
from deskpilot.governance.enums import AiMode
from tests.e2e.conftest import SignIn
from tests.factories import Desk


def test_an_admin_sets_the_overlay_of_one_itsm_to_shadow_in_the_browser(signed_in: SignIn, session: Session,
                                                                         desk: Desk) -> None:
    del desk
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="AI switches").click()
    adam.get_by_label("Capability").select_option("itsm_write_back")
    adam.get_by_label("Mode").select_option("shadow")
    adam.get_by_label("Where").fill("channel:zendesk")
    adam.get_by_label("Reason").fill("pilot: compare its triage with the agents' first")
    adam.get_by_role("button", name="Apply").click()
    expect(adam.get_by_text("itsm write back is shadow (channel zendesk): set by adam")).to_be_visible()

    session.rollback()
    assert mode_of("zendesk")(session) is AiMode.SHADOW
    assert mode_of("jsm")(session) is AiMode.AUTO
