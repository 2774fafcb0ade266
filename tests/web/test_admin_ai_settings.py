"""The administrator's AI settings page: each knob with its value in force and source; a bad value is refused
beside the form with nothing stored, a good one is kept as a version; the page is the administrators' only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.governance.setting_models import SettingVersion
from tests.factories import Desk
from tests.web.conftest import PageClient, csrf_token

PAGE = "/admin/ai-settings"


def test_an_admin_changes_a_threshold_and_resets_it_on_the_page(browser: PageClient, session: Session,
                                                               desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    page = browser.get(PAGE)
    assert page.status_code == 200 and "Triage abstention" in page.text
    assert 'data-setting="triage_abstain_below">0.45<' in page.text and "source-default" in page.text

    bad = browser.post_form(f"{PAGE}/triage_abstain_below", {"value": "1.7", "reason": "typo"}, from_page=PAGE)
    assert bad.status_code == 422 and "less than or equal to 1" in bad.text and 'value="1.7"' in bad.text
    words = browser.post_form(f"{PAGE}/triage_abstain_below", {"value": "high"}, from_page=PAGE)
    assert words.status_code == 422 and "&#39;high&#39; is not a number between 0 and 1" in words.text
    session.rollback()
    assert session.scalars(select(SettingVersion)).all() == []

    saved = browser.post_form(f"{PAGE}/triage_abstain_below", {"value": "0.6", "reason": "pilot"}, from_page=PAGE)
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"{PAGE}?changed=triage_abstain_below")
    fields = browser.post(f"{PAGE}/triage_auto_apply", data={"fields": ["queue"], "csrf_token": _token(browser)})
    assert fields.status_code == 303
    page = browser.get(PAGE + "?changed=triage_abstain_below")
    assert "Triage abstention was changed" in page.text
    assert 'data-setting="triage_abstain_below">0.6<' in page.text and "version 1, adam" in page.text
    assert 'data-setting="triage_auto_apply">queue<' in page.text

    reset = browser.post_form(f"{PAGE}/triage_abstain_below", {"action": "reset"}, from_page=PAGE)
    assert reset.status_code == 303
    assert 'data-setting="triage_abstain_below">0.45<' in browser.get(PAGE).text
    session.rollback()
    assert [(v.version, v.value) for v in session.scalars(
        select(SettingVersion).where(SettingVersion.name == "triage_abstain_below").order_by(SettingVersion.version))
            ] == [(1, 0.6), (2, None)]


def _token(browser: PageClient) -> str:
    return csrf_token(browser.get(PAGE).text)


def test_a_lead_cannot_open_or_post_to_the_ai_settings(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    assert browser.get(PAGE).status_code == 403
    assert "/admin/ai-settings" not in browser.get("/queue").text
    refused = browser.post_form(f"{PAGE}/triage_abstain_below", {"value": "0.6"}, from_page="/queue")
    assert refused.status_code == 403
