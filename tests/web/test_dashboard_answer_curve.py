"""The dashboard shows the answer precision/coverage curve the shipped answer model was cross-validated with."""

from __future__ import annotations

import re

from deskpilot.assist.compose import shipped_scorer
from tests.factories import Desk
from tests.web.conftest import PageClient


def test_lead_sees_the_answer_precision_curve_and_the_thresholds_in_force(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    page = browser.get("/dashboard")
    assert page.status_code == 200
    section = page.text[page.text.index('id="answer-curve-title"'):]
    section = section[: section.index("</section>")]
    curve = shipped_scorer().metadata["cv"]["curve"]
    assert f"cross-validated on {shipped_scorer().metadata['cv']['turns']} public support dialogues" in section
    assert 'aria-label="Answer precision when answering only the most confident share"' in section
    bars = re.findall(r"<title>(\d+%): ([0-9.]+)</title>", section)
    assert [(label, float(value)) for label, value in bars] == [
        (f"{point['coverage']:.0%}", round(point["precision"], 3)) for point in curve]
    assert "probability at the cut" in section
    confident = shipped_scorer().confident_above
    assert f"Answers above probability {confident:.2f} are given outright" in section
    assert "below retrieval confidence 0.50 the assistant hands over" in section
