"""`diagnostics.collect`: the answers and client data the conversation gathered, PII-redacted."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from deskpilot.runbooks.actions.base import Action, ActionContext, ActionInputs, PlannedChange, StepResult
from deskpilot.triage.pii import redact_pii

_MAX_VALUE = 500


class DiagnosticsInputs(ActionInputs):
    fields: list[str] = Field(min_length=1, max_length=50)


class CollectDiagnostics(Action[DiagnosticsInputs]):
    name: ClassVar[str] = "diagnostics.collect"
    input_model = DiagnosticsInputs
    read_only = True

    def plan(self, ctx: ActionContext, inputs: DiagnosticsInputs) -> PlannedChange:
        present = [f for f in inputs.fields if f in ctx.client_data]
        missing = [f for f in inputs.fields if f not in ctx.client_data]
        return PlannedChange(f"Collect {', '.join(present) or 'nothing'}"
                             + (f" (not provided: {', '.join(missing)})" if missing else "") + ".", changes=False)

    def execute(self, ctx: ActionContext, inputs: DiagnosticsInputs) -> StepResult:
        collected = {f: redact_pii(str(ctx.client_data[f])[:_MAX_VALUE]).text for f in inputs.fields
                     if f in ctx.client_data}
        missing = [f for f in inputs.fields if f not in ctx.client_data]
        lines = [f"- {key}: {value}" for key, value in collected.items()]
        lines += [f"- {key}: (not provided)" for key in missing]
        return StepResult("\n".join(lines) or "(nothing collected)", {"collected": collected, "missing": missing})
