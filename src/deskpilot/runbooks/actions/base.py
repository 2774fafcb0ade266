"""The contract of a runbook action. There is deliberately no action that runs a shell command.

An action validates its inputs with a pydantic model, describes what it would change (`plan`, which may
read but never write), and does it (`execute`), returning the inputs its inverse action needs to undo
exactly what changed (`undo`; None when nothing changed).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.runbooks.identity import Directory


class ActionInputs(BaseModel):
    """Base of every action's inputs: unknown keys are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


I = TypeVar("I", bound=ActionInputs)  # noqa: E741 - the conventional name of an input type variable


@dataclass
class ActionContext:
    """What a step may use: the database session, settings, the directory, the run and its ticket."""

    session: Session
    settings: Settings
    actor: Principal
    ticket_actor: Principal
    directory: Callable[[], Directory]
    run_id: int | None = None
    ticket_id: int | None = None
    client_data: Mapping[str, Any] = field(default_factory=dict)
    deadline: float = field(default_factory=lambda: time.monotonic() + 300)

    def remaining(self) -> float:
        """Seconds left before the step's deadline; raises when it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProviderError("The runbook step ran out of time.", retryable=True)
        return left


@dataclass(frozen=True)
class PlannedChange:
    """What a step would do: in words, and the state before and after."""

    description: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    changes: bool = True


@dataclass(frozen=True)
class StepResult:
    summary: str
    output: dict[str, Any] = field(default_factory=dict)
    undo: dict[str, Any] | None = None


class Action(ABC, Generic[I]):
    """One kind of step. `inverse` names the action that undoes it (None: it cannot be undone)."""

    name: ClassVar[str]
    input_model: ClassVar[type[ActionInputs]]
    inverse: ClassVar[str | None] = None
    secret_inputs: ClassVar[frozenset[str]] = frozenset()
    read_only: ClassVar[bool] = False
    # Whether `execute` changes something outside the desk's database, which stays changed when the run's
    # transaction is lost; such steps are announced in the runbook journal before they run.
    external: ClassVar[bool] = True

    def parse(self, raw: Mapping[str, Any]) -> I:
        """The typed inputs, or InvalidInput naming the action and the field (never the value)."""
        try:
            return self.input_model.model_validate(dict(raw))  # type: ignore[return-value]
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            raise InvalidInput(f"{self.name}: invalid inputs: {problems}") from exc

    def might_change(self, raw_inputs: Mapping[str, Any]) -> bool:  # noqa: ARG002 - most decide by kind alone
        """Whether a step with these (untemplated) inputs can change anything outside the desk's records."""
        return not self.read_only

    @abstractmethod
    def plan(self, ctx: ActionContext, inputs: I) -> PlannedChange:
        """What `execute` would change, read from the current state; writes nothing."""

    @abstractmethod
    def execute(self, ctx: ActionContext, inputs: I) -> StepResult:
        """Do it. Running it twice must not change more than running it once."""
