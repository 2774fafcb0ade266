"""The AI's thresholds and knobs an administrator tunes in the browser, over what the environment sets.

Only settings the runtime reads per request are offered; each is validated against its range in `Settings`,
stored as a new version (`overrides`), audited as `ai.setting_changed`, and in force in every process at its
next request (`effective`). `change_ai_setting` is the one write: wrap it to gate changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.governance import overrides
from deskpilot.governance.setting_models import SettingVersion

if TYPE_CHECKING:  # the runtime builds the chat, which reads these settings: imported when a change is gated
    from deskpilot.runtime import AiRuntime

TRIAGE_FIELDS = ("category", "queue", "priority")


class Kind(StrEnum):
    FRACTION = "fraction"
    COUNT = "count"
    FLAG = "flag"
    FIELDS = "fields"


@dataclass(frozen=True)
class Knob:
    name: str
    label: str
    help: str
    kind: Kind


KNOBS: tuple[Knob, ...] = (
    Knob("answer_abstain_below", "Answer abstention", "Below this retrieval confidence the assistant does not "
         "answer; it asks or hands over to the desk.", Kind.FRACTION),
    Knob("answer_confident_above", "Answer caution", "Answers whose probability of being right is below this come "
         "with a caution (unset: the span scorer's cross-validated threshold).", Kind.FRACTION),
    Knob("answer_rerank", "Rerank answers", "Choose the answer among the first three articles' passages instead "
         "of the first article only.", Kind.FLAG),
    Knob("answer_rephrase", "Rephrase with the LLM", "Let the configured LLM endpoint rephrase grounded answers "
         "(no effect without DESKPILOT_LLM_BASE_URL).", Kind.FLAG),
    Knob("triage_abstain_below", "Triage abstention", "Below this confidence triage names no category and the "
         "ticket goes to the fallback queue for a person.", Kind.FRACTION),
    Knob("triage_auto_apply", "Triage auto-apply", "The fields triage sets on new tickets when confident; the "
         "others are suggestions.", Kind.FIELDS),
    Knob("troubleshoot_offer_after", "Failed steps before a ticket offer", "Failed troubleshooting steps after "
         "which the chat offers a ticket or more steps.", Kind.COUNT),
    Knob("self_service_min_confidence", "Self-service reset confidence", "The intent confidence the chat needs "
         "before it offers a self-service password reset.", Kind.FRACTION),
)
BY_NAME = {knob.name: knob for knob in KNOBS}


@dataclass(frozen=True)
class AiSetting:
    """One knob with its value in force, where that comes from, and its range in `Settings`."""

    knob: Knob
    current: overrides.Current
    low: float | None
    high: float | None


def effective(session: Session, settings: Settings) -> Settings:
    """The settings this request runs with: the process's, with the administrators' overrides applied."""
    return overrides.apply(session, settings)


def _bounds(name: str) -> tuple[float | None, float | None]:
    low = high = None
    for rule in Settings.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def listing(session: Session, *, actor: Principal, settings: Settings) -> list[AiSetting]:
    """Every knob with its value in force and its source (default, env or admin)."""
    require(actor, Permission.SETTINGS_MANAGE)
    found = overrides.current(session, settings, [knob.name for knob in KNOBS])
    return [AiSetting(knob, now, *_bounds(knob.name)) for knob, now in zip(KNOBS, found, strict=True)]


def versions(session: Session, *, actor: Principal, name: str) -> list[SettingVersion]:
    """Every version of AI setting `name`'s override, newest first."""
    require(actor, Permission.SETTINGS_MANAGE)
    _knob(name)
    return overrides.history(session, name)


def parse(name: str, text: str) -> Any:
    """A value typed in a form, as the knob's type (range checks follow in `change_ai_setting`)."""
    knob = _knob(name)
    text = text.strip()
    if knob.kind is Kind.FLAG:
        if text.lower() not in {"true", "false", "on", "off"}:
            raise InvalidInput(f"{knob.label}: choose on or off")
        return text.lower() in {"true", "on"}
    if knob.kind is Kind.FIELDS:
        return text
    try:
        return int(text) if knob.kind is Kind.COUNT else float(text)
    except ValueError:
        wanted = "a whole number" if knob.kind is Kind.COUNT else "a number between 0 and 1, such as 0.45"
        raise InvalidInput(f"{knob.label}: {text!r} is not {wanted}") from None


def _knob(name: str) -> Knob:
    knob = BY_NAME.get(name)
    if knob is None:
        raise NotFound(f"{name!r} is not an AI setting; the AI settings are: {', '.join(BY_NAME)}")
    return knob


def _fields(value: Any) -> str:
    chosen = [part.strip() for part in str(value).split(",") if part.strip()]
    unknown = [part for part in chosen if part not in TRIAGE_FIELDS]
    if unknown:
        raise InvalidInput(f"Triage auto-apply: {', '.join(unknown)} cannot be auto-applied; choose among "
                           f"{', '.join(TRIAGE_FIELDS)} (or none)")
    return ",".join(field for field in TRIAGE_FIELDS if field in chosen)


def change_ai_setting(session: Session, *, actor: Principal, runtime: AiRuntime, name: str, value: Any,
                      reason: str = "") -> SettingVersion:
    """Set AI setting `name` to `value` (None: back to the environment's value or the default), as its next
    version; checked against the setting's range, replayed through the gate (a change that drops any article's
    answers is refused unless `reason` says why it must go ahead), audited as `ai.setting_changed` with the
    gate's run, in force at the next request of every process."""
    require(actor, Permission.SETTINGS_MANAGE)
    knob = _knob(name)
    if value is not None and knob.kind is Kind.FIELDS:
        value = _fields(value)
    if value is not None:
        overrides.validated(name, value)
        from deskpilot.governance.settings_gate import gate_settings_change

        report = gate_settings_change(session, runtime, {name: value}, actor=actor)
        if not report.passed and not reason.strip():
            raise Conflict(f"The replay gate refused this change (run {report.run_id}): "
                           f"{'; '.join(report.regressions)}. Give a reason to make it anyway; it is audited.",
                           recorded=True)
        if report.replayed:
            verdict = "passed" if report.passed else "refused and overridden"
            reason = f"{reason.strip()} [replay gate run {report.run_id}: {verdict}]".strip()
    return overrides.change(session, actor=actor, name=name, value=value, reason=reason,
                            audit_as="ai.setting_changed")
