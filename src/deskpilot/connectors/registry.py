"""Finding connectors through the `deskpilot.connectors` entry point group.

Listing reads only the installed packages' metadata, so it imports no vendor code; a connector is imported
when it is opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points

from deskpilot.connectors.base import Connector
from deskpilot.errors import InvalidInput

GROUP = "deskpilot.connectors"


def installed() -> list[str]:
    """The names of the installed connectors, sorted."""
    return sorted({point.name for point in entry_points(group=GROUP)})


def _entry_point(name: str) -> EntryPoint:
    for point in entry_points(group=GROUP, name=name):
        return point
    known = ", ".join(installed()) or "none"
    raise InvalidInput(f"There is no connector {name!r}; installed: {known}. A connector is a package that "
                       f"declares an entry point in the {GROUP!r} group.")


def open_connector(name: str, config: Mapping[str, str]) -> Connector:
    """The connector `name` built from `config`; InvalidInput when no such connector is installed."""
    point = _entry_point(name)
    cls = point.load()
    if not isinstance(cls, type) or getattr(cls, "name", None) != name:
        raise TypeError(f"entry point {name!r} in {GROUP} must name a connector class called {name!r}")
    connector = cls(config)
    if not isinstance(connector, Connector):
        missing = sorted(member for member in _CONTRACT if not hasattr(connector, member))
        raise TypeError(f"connector {name!r} does not fulfil the connector contract; missing: {', '.join(missing)}")
    return connector


_CONTRACT = tuple(member for member in vars(Connector) if not member.startswith("_"))


def connection_named(connections: Mapping[str, Mapping[str, str]], name: str) -> Mapping[str, str]:
    """The configuration of connection `name` (DESKPILOT_CONNECTORS), or a clear error saying where to set it."""
    if name not in connections:
        raise InvalidInput(f"No connection for {name!r}: set DESKPILOT_CONNECTORS='{{\"{name}\": {{...}}}}' (see the "
                           "README).")
    return connections[name]
