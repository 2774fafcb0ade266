"""Agent time saved, cost per ticket and ROI, from configurable minutes per task and costs.

Every figure carries its formula with the configured numbers filled in, so a lead can check the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.analytics.figures import Kpi, Unit
from deskpilot.analytics.sql import ratio
from deskpilot.config import Settings

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class ValueInputs:
    """Counts measured in the period that the value model turns into minutes and money."""

    tickets: int
    triage_kept: int
    drafts_used: int
    deflected: int
    days: int


def value_kpis(inputs: ValueInputs, settings: Settings) -> list[Kpi]:
    """Minutes saved, their value, the AI's cost over the period, cost per ticket with and without AI, ROI."""
    s, cur = settings, settings.kpi_currency
    triage_min = inputs.triage_kept * s.kpi_minutes_saved_per_triage
    draft_min = inputs.drafts_used * s.kpi_minutes_saved_per_draft
    deflect_min = inputs.deflected * s.kpi_minutes_per_ticket
    saved = triage_min + draft_min + deflect_min
    value = saved / 60 * s.kpi_agent_cost_per_hour
    ai_cost = s.kpi_ai_cost_per_month * inputs.days / DAYS_PER_MONTH
    spent_min = max(inputs.tickets * s.kpi_minutes_per_ticket - triage_min - draft_min, 0.0)
    with_ai = ratio(spent_min / 60 * s.kpi_agent_cost_per_hour + ai_cost, inputs.tickets)
    without_ai = s.kpi_minutes_per_ticket / 60 * s.kpi_agent_cost_per_hour if inputs.tickets else None
    return [
        Kpi("agent_minutes_saved", "Agent time saved", saved, Unit.MINUTES,
            f"{inputs.triage_kept} tickets with triage kept × {s.kpi_minutes_saved_per_triage:g} min + "
            f"{inputs.drafts_used} AI drafts sent × {s.kpi_minutes_saved_per_draft:g} min + "
            f"{inputs.deflected} chat conversations deflected (solved by self-service, no person) × "
            f"{s.kpi_minutes_per_ticket:g} min of a ticket"),
        Kpi("value_of_time_saved", f"Value of time saved ({cur})", value, Unit.MONEY,
            f"{saved:,.0f} min / 60 × {s.kpi_agent_cost_per_hour:g} {cur} per agent hour"),
        Kpi("ai_cost", f"AI running cost in the period ({cur})", ai_cost, Unit.MONEY,
            f"{s.kpi_ai_cost_per_month:g} {cur} per month × {inputs.days} days / {DAYS_PER_MONTH} days"),
        Kpi("cost_per_ticket", f"Cost per ticket with AI ({cur})", with_ai, Unit.MONEY,
            f"(({inputs.tickets} tickets × {s.kpi_minutes_per_ticket:g} min − triage and draft minutes saved) / 60 "
            f"× {s.kpi_agent_cost_per_hour:g} {cur} + AI cost) / {inputs.tickets} tickets",
            spent_min / 60 * s.kpi_agent_cost_per_hour + ai_cost, inputs.tickets),
        Kpi("cost_per_ticket_without_ai", f"Cost per ticket without AI ({cur})", without_ai, Unit.MONEY,
            f"{s.kpi_minutes_per_ticket:g} min / 60 × {s.kpi_agent_cost_per_hour:g} {cur} per agent hour"),
        Kpi("roi", "Return on the AI's cost", ratio(value - ai_cost, ai_cost), Unit.RATIO,
            "(value of time saved − AI cost) / AI cost", value - ai_cost, ai_cost),
    ]
