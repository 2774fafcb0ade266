"""Drift: the live category mix and confidence distribution of triage compared with the active model's
training data, per day or week, with an alert when they move beyond the configured thresholds.

Category mix is compared with the Jensen–Shannon divergence (base 2, 0 = same, 1 = disjoint); the confidence
distribution with the population stability index over ten bins (PSI > 0.25 is the usual "shifted" mark).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import SQLColumnExpression, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.ai_kpis import on_ticket
from deskpilot.analytics.figures import KpiTable
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import bucket, iso_day
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.ml.artifacts import peek_details
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import CATEGORY_COMPONENT, store

BINS = 10
_EPSILON = 1e-4


def jensen_shannon(p: dict[str, float], q: dict[str, float]) -> float:
    """JS divergence (base 2) of two distributions given as counts or shares over (possibly different) keys."""
    keys = sorted(set(p) | set(q))
    p_total, q_total = sum(p.values()) or 1.0, sum(q.values()) or 1.0
    divergence = 0.0
    for key in keys:
        a, b = p.get(key, 0.0) / p_total, q.get(key, 0.0) / q_total
        m = (a + b) / 2
        if a > 0:
            divergence += a / 2 * math.log2(a / m)
        if b > 0:
            divergence += b / 2 * math.log2(b / m)
    return max(0.0, min(1.0, divergence))


def population_stability(expected: list[float], actual: list[float]) -> float:
    """PSI = Σ (actual − expected) · ln(actual / expected) over bins of shares (empty bins get a floor)."""
    e_total, a_total = sum(expected) or 1.0, sum(actual) or 1.0
    index = 0.0
    for e, a in zip(expected, actual, strict=True):
        e_share, a_share = max(e / e_total, _EPSILON), max(a / a_total, _EPSILON)
        index += (a_share - e_share) * math.log(a_share / e_share)
    return index


@dataclass(frozen=True)
class TrainingProfile:
    """What the active category model was trained on, from its manifest in the model store."""

    version: str
    label_counts: dict[str, float]
    confidence_histogram: list[float]


def training_profile(settings: Settings) -> TrainingProfile | None:
    """The active category model's training label counts and out-of-fold confidence histogram, if recorded."""
    models = store(settings, CATEGORY_COMPONENT)
    version = models.active_version()
    if version is None:
        return None
    meta = peek_details(models.root / version)
    counts, histogram = meta.get("label_counts"), meta.get("cv_confidence_histogram")
    if not isinstance(counts, dict) or not isinstance(histogram, list) or len(histogram) != BINS:
        return None
    return TrainingProfile(version, {str(k): float(v) for k, v in counts.items()}, [float(v) for v in histogram])


def below_each_bin_top(column: SQLColumnExpression[float]) -> list[ColumnElement[Any]]:
    """How many values are below 0.1, below 0.2, ... below 0.9: a histogram of ten bins of [0, 1] as running
    counts (1.0 goes to the last bin, like numpy.histogram).

    Running counts rather than GROUP BY the bin: PostgreSQL cannot estimate how many bins a CASE expression
    makes, expects one group per distinct confidence and sorts a year of decisions on disk to group them.
    """
    return [func.sum(case((column < (i + 1) / BINS, 1), else_=0)) for i in range(BINS - 1)]


@dataclass(frozen=True)
class DriftReport:
    profile: TrainingProfile | None
    category_js: float | None
    confidence_psi: float | None
    alert: bool
    message: str
    periods: KpiTable
    categories: KpiTable
    confidence: KpiTable


def _decisions(flt: KpiFilter, profile: TrainingProfile, *columns: Any) -> Any:
    query = (select(*columns).where(AiDecision.kind == DecisionKind.TRIAGE, AiDecision.created_at >= flt.start,
                                    AiDecision.created_at < flt.end,
                                    AiDecision.model_version.like(f"{CATEGORY_COMPONENT}:{profile.version}+%")))
    if flt.queue_id is not None or flt.channel is not None:
        query = query.join(Ticket, on_ticket()).where(flt.scope())
    return query


def _counts(session: Session, flt: KpiFilter, profile: TrainingProfile
            ) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Per period: category counts of the decisions that did not abstain, and the confidence histogram of all.

    One pass over the period's decisions, grouped by period, abstention and category.
    """
    period = bucket(AiDecision.created_at, flt.grain)
    rows = session.execute(_decisions(flt, profile, iso_day(period), AiDecision.abstained, AiDecision.category,
                                      func.count(), *below_each_bin_top(AiDecision.confidence))
                           .group_by(period, AiDecision.abstained, AiDecision.category))
    mix: dict[str, dict[str, float]] = {}
    hist: dict[str, list[float]] = {}
    for key, abstained, label, count, *below in rows:
        if not abstained:
            counts = mix.setdefault(key, {})
            counts[str(label)] = counts.get(str(label), 0.0) + float(count)
        histogram, previous = hist.setdefault(key, [0.0] * BINS), 0
        for i, running in enumerate([*below, count]):
            histogram[i] += float(int(running or 0) - previous)
            previous = int(running or 0)
    return mix, hist


def _empty(profile: TrainingProfile | None, message: str) -> DriftReport:
    return DriftReport(profile, None, None, False, message, KpiTable("drift", "Drift by period", ()),
                       KpiTable("drift_categories", "Category mix", ()),
                       KpiTable("drift_confidence", "Confidence distribution", ()))


def drift_report(session: Session, flt: KpiFilter, settings: Settings) -> DriftReport:
    """Category mix (JS) and confidence (PSI) of the active model's live decisions against its training data."""
    profile = training_profile(settings)
    if profile is None:
        return _empty(None, "No active triage model with a recorded training profile: train one with "
                            "`deskpilot train triage` to enable drift monitoring.")
    mix, hist = _counts(session, flt, profile)
    return drift_from(profile, mix, hist, flt, settings)


def drift_from(profile: TrainingProfile, mix: dict[str, dict[str, float]], hist: dict[str, list[float]],
               flt: KpiFilter, settings: Settings) -> DriftReport:
    """Divergences, alert and tables from the per-period category counts and confidence histograms."""
    if not hist:
        return _empty(profile, f"No triage decisions by the active model {profile.version} in this period.")
    total_mix: dict[str, float] = {}
    for counts in mix.values():
        for label, count in counts.items():
            total_mix[label] = total_mix.get(label, 0.0) + count
    total_hist = [sum(h[i] for h in hist.values()) for i in range(BINS)]
    js = jensen_shannon(total_mix, profile.label_counts) if total_mix else None
    psi = population_stability(profile.confidence_histogram, total_hist)
    decided = int(sum(total_hist))
    # A handful of tickets always looks different from the training mix: too few decisions never alert.
    alert = decided >= settings.drift_min_decisions and (
        (js is not None and js > settings.drift_js_threshold) or psi > settings.drift_psi_threshold)
    periods = []
    for key in sorted(hist):
        key_js = jensen_shannon(mix[key], profile.label_counts) if key in mix else None
        key_psi = population_stability(profile.confidence_histogram, hist[key])
        key_alert = sum(hist[key]) >= settings.drift_min_decisions and (
            (key_js is not None and key_js > settings.drift_js_threshold) or key_psi > settings.drift_psi_threshold)
        periods.append((key, int(sum(hist[key])), key_js, key_psi, "yes" if key_alert else "no"))
    return DriftReport(
        profile, js, psi, alert, _message(alert, js, psi, settings, decided),
        KpiTable("drift", "Drift by period", (flt.grain, "decisions", "category_js", "confidence_psi", "alert"),
                 periods),
        _shares("drift_categories", "Category mix: training data vs this period", "category",
                sorted(set(total_mix) | set(profile.label_counts)), profile.label_counts, total_mix),
        _shares("drift_confidence", "Confidence distribution: training (out-of-fold) vs this period", "confidence",
                [f"{i / BINS:.1f}-{(i + 1) / BINS:.1f}" for i in range(BINS)],
                dict(enumerate(profile.confidence_histogram)), dict(enumerate(total_hist))))


def _shares(name: str, title: str, what: str, keys: list[Any], training: dict[Any, float],
            live: dict[Any, float]) -> KpiTable:
    t_total, l_total = sum(training.values()) or 1.0, sum(live.values()) or 1.0
    rows = []
    for i, key in enumerate(keys):
        lookup = i if what == "confidence" else key
        rows.append((key, training.get(lookup, 0.0) / t_total, live.get(lookup, 0.0) / l_total,
                     int(live.get(lookup, 0.0))))
    return KpiTable(name, title, (what, "training_share", "period_share", "period_count"), rows)


def _message(alert: bool, js: float | None, psi: float, settings: Settings, decided: int) -> str:
    js_text = "n/a" if js is None else f"{js:.3f}"
    figures = (f"category mix JS divergence {js_text} (alert above {settings.drift_js_threshold:g}), "
               f"confidence PSI {psi:.3f} (alert above {settings.drift_psi_threshold:g})")
    if decided < settings.drift_min_decisions:
        return (f"Too few triage decisions to judge drift: {decided} in this period, at least "
                f"{settings.drift_min_decisions} needed (DESKPILOT_DRIFT_MIN_DECISIONS); so far {figures}.")
    if alert:
        return f"Triage input has drifted from the training data: {figures}. Review recent tickets and retrain."
    return f"Within the thresholds: {figures}."
