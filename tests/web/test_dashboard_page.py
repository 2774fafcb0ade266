"""The KPI dashboard page over real HTTP: every conversation figure is shown and each table can be exported."""

from __future__ import annotations

from tests.factories import Desk
from tests.web.conftest import PageClient


def test_lead_sees_the_conversation_kpis_with_their_exports(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    page = browser.get("/dashboard")
    assert page.status_code == 200
    for label in ("Deflection rate", "Self-service completion", "CSAT, handled by the assistant alone (1-5)",
                  "CSAT, a person took part (1-5)", "Chat conversations"):
        assert label in page.text, label
    for table in ("handoff_reasons", "conversation_csat"):
        assert f'href="/api/v1/analytics/kpis/{table}.csv?' in page.text, table
    assert "Hand-offs to a person by reason" in page.text
    assert "Not yet measured" not in page.text and "not computed" not in page.text
