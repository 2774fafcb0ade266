"""Finding actions through the `deskpilot.runbook_actions` entry point group."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from deskpilot.errors import InvalidInput
from deskpilot.runbooks.actions.base import Action

GROUP = "deskpilot.runbook_actions"
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def load_actions() -> dict[str, Action[Any]]:
    """Every installed action by name; an entry point must name an Action subclass of the same name."""
    found: dict[str, Action[Any]] = {}
    for point in entry_points(group=GROUP):
        cls = point.load()
        if not (isinstance(cls, type) and issubclass(cls, Action)) or cls.name != point.name:
            raise TypeError(f"entry point {point.name!r} in {GROUP} must name an Action subclass called {point.name!r}")
        found[point.name] = cls()
    log.debug("runbook actions: %s", ", ".join(sorted(found)))
    return found


def get_action(name: str) -> Action[Any]:
    actions = load_actions()
    if name not in actions:
        raise InvalidInput(f"There is no runbook action {name!r}; installed: {', '.join(sorted(actions))}.")
    return actions[name]
