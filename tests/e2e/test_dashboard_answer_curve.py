"""A lead reads on the dashboard how precise KB answers are at each coverage."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import SignIn
from tests.factories import Desk


def test_lead_reads_the_answer_precision_curve(signed_in: SignIn, desk: Desk, artifacts_dir: Path) -> None:
    del desk
    page = signed_in("lena")
    page.get_by_role("link", name="Dashboard").click()
    heading = page.get_by_role("heading", name="Answer precision and coverage")
    expect(heading).to_be_visible()
    chart = page.get_by_role("img", name="Answer precision when answering only the most confident share")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 7
    page.get_by_text("Table: Answer precision by coverage (cross-validated)").click()
    table = page.get_by_role("region", name="Answer precision by coverage (cross-validated)")
    expect(table.get_by_role("row")).to_have_count(8)
    expect(table.get_by_role("cell", name="100%")).to_be_visible()
    chart.screenshot(path=str(artifacts_dir / "answer-curve.png"))
