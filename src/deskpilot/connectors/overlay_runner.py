"""Running the overlay for a configured connection: the CLI (`deskpilot connectors overlay`), the periodic job
(`connectors.overlay`) and the webhook all come here, with the process's AI runtime and settings.

A connection takes part in the periodic job when its configuration says `"overlay": "on"`; `overlay_write_back`
(`note` or `fields`) is the desk's choice for auto mode (overlay.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from deskpilot.config import Settings
from deskpilot.connectors import registry
from deskpilot.connectors.importing import Progress, UnitOfWork
from deskpilot.connectors.overlay import OverlayConfig, OverlayReport, run_overlay
from deskpilot.connectors.overlay_triage import mode_of, triager
from deskpilot.runtime import AiRuntime

ON = "on"


def overlaid(connections: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The connections whose configuration turns the overlay on, sorted."""
    return sorted(name for name, config in connections.items() if config.get("overlay") == ON)


def overlay_once(*, settings: Settings, runtime: AiRuntime, units: UnitOfWork, name: str, page_size: int = 50,
                 progress: Progress = lambda _: None) -> OverlayReport:
    """One overlay pass over connection `name`."""
    connection = registry.connection_named(settings.connectors, name)
    config = OverlayConfig.of(connection)
    connector = registry.open_connector(name, connection)
    groups = {g.name.lower(): g.external_id for g in connector.groups()}
    return run_overlay(units=units, connector=connector, config=config, mode_of=mode_of(name), page_size=page_size,
                       triage=triager(runtime, settings, connector=name, groups=groups), progress=progress)
