"""The dashboard's answer precision/coverage curve: how often answers are right when the assistant answers only
its most confident share of questions, as cross-validated when the shipped span scorer was trained."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from deskpilot.assist.compose import shipped_scorer
from deskpilot.config import Settings
from deskpilot.web.charts import bar_chart


def answer_curve(settings: Settings) -> dict[str, Any]:
    """Chart, table and the two thresholds in force (`confident_above`: answer outright; `abstain_below`)."""
    scorer = shipped_scorer()
    report = scorer.metadata.get("cv", {})
    curve: list[dict[str, float]] = report.get("curve", [])
    confident_above = (settings.answer_confident_above if settings.answer_confident_above is not None
                       else scorer.confident_above)
    rows = [[f"{point['coverage']:.0%}", point["precision"], point["f1_answered"], point["min_probability"]]
            for point in curve]
    chart: Markup = bar_chart([(f"{p['coverage']:.0%}", round(p["precision"], 3)) for p in curve], color="#2e8540",
                              title="Answer precision when answering only the most confident share")
    return {
        "chart": chart,
        "table": {"title": "Answer precision by coverage (cross-validated)",
                  "columns": ["coverage", "precision", "F1 when answered", "probability at the cut"], "rows": rows},
        "turns": report.get("turns"), "right_f1": report.get("right_f1"),
        "confident_above": confident_above, "abstain_below": settings.answer_abstain_below,
    }
