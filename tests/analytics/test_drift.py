"""Drift of the live category mix and confidence against the active model's training profile."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.analytics.drift import drift_report, jensen_shannon, population_stability
from deskpilot.analytics.filters import KpiFilter
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.config import Environment, Settings
from deskpilot.ml.artifacts import MANIFEST
from tests.conftest import FrozenClock

TRAINING = {"label_counts": {"Hardware": 50, "Access": 50},
            "cv_confidence_histogram": [0, 0, 0, 0, 0, 10, 10, 20, 30, 30]}


def test_jensen_shannon_by_hand() -> None:
    assert jensen_shannon({"a": 3, "b": 1}, {"a": 0.75, "b": 0.25}) == pytest.approx(0.0)
    assert jensen_shannon({"a": 1}, {"b": 1}) == pytest.approx(1.0)
    # p = (1, 0), q = (.5, .5), m = (.75, .25): ½·log2(1/.75) + ½·(½·log2(.5/.75) + ½·log2(.5/.25))
    expected = 0.5 * math.log2(1 / 0.75) + 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(2))
    assert jensen_shannon({"Hardware": 4}, {"Hardware": 50, "Access": 50}) == pytest.approx(expected)


def test_population_stability_by_hand() -> None:
    assert population_stability([10, 30, 60], [1, 3, 6]) == pytest.approx(0.0)
    expected = (0.5 - 0.25) * math.log(0.5 / 0.25) + (0.5 - 0.75) * math.log(0.5 / 0.75)
    assert population_stability([25, 75], [50, 50]) == pytest.approx(expected)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    version = tmp_path / "models" / "triage-category" / "v0001"
    version.mkdir(parents=True)
    (version / MANIFEST).write_text(json.dumps(TRAINING), encoding="utf-8")
    (version.parent / "active.json").write_text(json.dumps({"active": "v0001", "history": []}), encoding="utf-8")
    return Settings(environment=Environment.TEST, data_dir=tmp_path, drift_min_decisions=20)


def _decide(session: Session, category: str, confidence: float, model: str = "v0001",
            abstained: bool = False) -> None:
    decisions.record_decision(session, kind=DecisionKind.TRIAGE, model_version=f"triage-category:{model}+p:none",
                              input_redacted="x", outputs={"category": category}, confidence=confidence,
                              abstained=abstained)


def test_a_shifted_mix_raises_the_alert_and_a_matching_one_does_not(session: Session, clock: FrozenClock,
                                                                    settings: Settings) -> None:
    period = KpiFilter.of(now=utcnow(), first_day=date(2026, 11, 23), last_day=date(2026, 11, 23))
    for i, confidence in enumerate((0.55, 0.65, 0.75, 0.75, 0.85, 0.85, 0.85, 0.95, 0.95, 0.95)):
        _decide(session, ("Hardware", "Access")[i % 2], confidence)
    _decide(session, "Storage", 0.1, model="v0009")  # another model's decisions are not compared
    session.commit()
    calm = drift_report(session, period, settings)
    assert calm.category_js == pytest.approx(0.0)
    assert calm.confidence_psi == pytest.approx(0.0, abs=1e-9)
    assert not calm.alert
    for _ in range(10):
        _decide(session, "Storage", 0.15)  # a category the model never saw in training
    session.commit()
    shifted = drift_report(session, period, settings)
    assert shifted.category_js is not None and shifted.category_js > settings.drift_js_threshold
    assert shifted.confidence_psi is not None and shifted.confidence_psi > settings.drift_psi_threshold
    assert shifted.alert and "drifted" in shifted.message
    assert shifted.periods.rows[0][0] == "2026-11-23" and shifted.periods.rows[0][1] == 20


def test_too_few_decisions_never_alert_however_far_they_drift(session: Session, clock: FrozenClock,
                                                             settings: Settings) -> None:
    for _ in range(14):
        _decide(session, "Storage", 0.15)  # a fresh install: 14 tickets, all unlike the training data
    session.commit()
    period = KpiFilter.of(now=utcnow(), first_day=date(2026, 11, 23), last_day=date(2026, 11, 23))
    report = drift_report(session, period, settings.model_copy(update={"drift_min_decisions": 100}))
    assert report.confidence_psi is not None and report.confidence_psi > settings.drift_psi_threshold
    assert not report.alert and report.periods.rows[0][4] == "no"
    assert "Too few triage decisions to judge drift: 14 in this period, at least 100" in report.message
    assert drift_report(session, period, settings.model_copy(update={"drift_min_decisions": 14})).alert


def test_confidences_fall_in_tenths_and_abstentions_count_in_the_histogram_only(
        session: Session, clock: FrozenClock, settings: Settings) -> None:
    confidences = (0.0, 0.0999, 0.1, 0.3, 0.7, 0.8999, 0.9, 1.0)
    for confidence in confidences:
        _decide(session, "Hardware", confidence)
    _decide(session, "Access", 0.45, abstained=True)
    session.commit()
    report = drift_report(session, KpiFilter.of(now=utcnow(), first_day=date(2026, 11, 23),
                                                last_day=date(2026, 11, 23)), settings)
    live = {row[0]: row[3] for row in report.confidence.rows}
    # Bin i holds [i/10, (i+1)/10), the last one also 1.0. (numpy.histogram, which made the training
    # histogram, puts exactly 0.3, 0.6 and 0.7 one bin lower: its edges are 0.30000000000000004 and so on.)
    assert list(live.values()) == [2, 1, 0, 1, 1, 0, 0, 1, 1, 2]
    assert {row[0]: row[3] for row in report.categories.rows} == {"Access": 0, "Hardware": 8}


def test_no_training_profile_says_how_to_get_one(session: Session, tmp_path: Path) -> None:
    report = drift_report(session, KpiFilter.of(now=utcnow()), Settings(environment=Environment.TEST,
                                                                         data_dir=tmp_path))
    assert not report.alert and "deskpilot train triage" in report.message
