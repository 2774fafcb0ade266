"""The YAML definition of a runbook: parsed into a typed spec, validated, and templated safely.

Templates are `{{ params.NAME }}`, `{{ run.id }}`, `{{ run.ticket_id }}` and `{{ steps.ID.summary }}`.
An input that is exactly one placeholder keeps the parameter's type; the action then validates it
again. Nothing is ever pasted into an LDAP filter or DN: actions take names, the directory escapes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deskpilot.errors import InvalidInput
from deskpilot.runbooks.parameters import SECRET_TYPES, ParameterType, coerce

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z0-9_]+)+)\s*\}\}")
RESERVED_NAMES = frozenset({"runs"})
# A flat JSON object (http.request's json_body) is an input too; its string values may hold placeholders.
InputValue = str | int | bool | list[str] | dict[str, str | int | bool]


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


MIN_APPROVERS = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterSpec(_Spec):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    type: ParameterType
    description: str = Field(default="", max_length=500)
    required: bool = True
    default: str | int | None = None
    max_length: int = Field(default=500, ge=1, le=10_000)


class StepSpec(_Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    action: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
    description: str = Field(default="", max_length=500)
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    rollback: str | None = None
    irreversible: str | None = Field(default=None, max_length=500,
                                     description="why this step cannot be undone (required when it has no rollback)")


class ApprovalSpec(_Spec):
    min_approvers: int = Field(default=1, ge=1, le=5)


class RunbookSpec(_Spec):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    risk: RiskLevel
    approval: ApprovalSpec = ApprovalSpec()
    # What a run locks, e.g. "ldap-user:{{ params.username }}": two runs on one target never overlap.
    target: str = Field(min_length=1, max_length=200)
    parameters: list[ParameterSpec] = Field(default_factory=list, max_length=20)
    steps: list[StepSpec] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _consistent(self) -> RunbookSpec:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"{self.name!r} is a reserved name")
        names = [p.name for p in self.parameters]
        ids = [s.id for s in self.steps]
        if len(set(names)) != len(names) or len(set(ids)) != len(ids):
            raise ValueError("parameter names and step ids must be unique")
        if self.approval.min_approvers < MIN_APPROVERS[self.risk]:
            raise ValueError(f"{self.risk} risk needs at least {MIN_APPROVERS[self.risk]} approvers")
        for position, step in enumerate(self.steps):
            for ref in references(step.inputs):
                _check_reference(ref, set(names), set(ids[:position]), step.id)
        for ref in references({"target": self.target}):
            _check_reference(ref, set(names), set(), "target")
        return self

    @property
    def min_approvers(self) -> int:
        return max(self.approval.min_approvers, MIN_APPROVERS[self.risk])

    @property
    def secret_parameters(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters if p.type in SECRET_TYPES)


def _check_reference(ref: str, params: set[str], earlier_steps: set[str], where: str) -> None:
    head, _, rest = ref.partition(".")
    ok = ((head == "params" and rest in params) or (head == "run" and rest in ("id", "ticket_id"))
          or (head == "steps" and rest.endswith(".summary") and rest.removesuffix(".summary") in earlier_steps))
    if not ok:
        raise ValueError(f"{where}: unknown placeholder {{{{ {ref} }}}} (use params.NAME, run.id, run.ticket_id "
                         "or steps.EARLIER_STEP.summary)")


def references(inputs: Mapping[str, InputValue]) -> list[str]:
    found: list[str] = []
    for value in inputs.values():
        items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
        for text in items:
            if isinstance(text, str):
                found.extend(PLACEHOLDER.findall(text))
    return found


def content_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse(source: str) -> RunbookSpec:
    """The spec of a YAML text, or InvalidInput saying what is wrong and where."""
    if "\x00" in source:
        raise InvalidInput("A runbook definition must not contain NUL characters.")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"The runbook is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("A runbook definition is a YAML mapping (name, title, risk, target, parameters, steps).")
    try:
        return RunbookSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'runbook'}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidInput(f"The runbook definition is invalid: {problems}") from exc


def validate_parameters(spec: RunbookSpec, given: Mapping[str, Any]) -> dict[str, str | int]:
    """Typed parameter values; unknown names, missing required ones and bad values are refused."""
    known = {p.name: p for p in spec.parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidInput(f"Unknown parameters: {', '.join(map(repr, unknown))}.")
    values: dict[str, str | int] = {}
    for param in spec.parameters:
        raw = given.get(param.name, param.default)
        if raw is None:
            if param.required:
                raise InvalidInput(f"The parameter {param.name!r} is required.")
            continue
        values[param.name] = coerce(param.type, raw, name=param.name, max_length=param.max_length)
    return values


def render(value: InputValue, scope: Mapping[str, Any]) -> Any:
    """One input with its placeholders filled from `scope` (keys like "params.username")."""
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value.strip())
    if whole:
        return scope.get(whole.group(1))
    return PLACEHOLDER.sub(lambda m: "" if scope.get(m.group(1)) is None else str(scope[m.group(1)]), value)


def render_inputs(inputs: Mapping[str, InputValue], scope: Mapping[str, Any]) -> dict[str, Any]:
    return {key: render(value, scope) for key, value in inputs.items()}
