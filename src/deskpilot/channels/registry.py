"""Finding channel adapters through the `deskpilot.channels` entry point group."""

from __future__ import annotations

from importlib.metadata import entry_points

from deskpilot.channels.base import Channel
from deskpilot.errors import InvalidInput

GROUP = "deskpilot.channels"


def load_channels() -> dict[str, Channel]:
    """Every installed channel by name; an entry point names a Channel class of the same name."""
    found: dict[str, Channel] = {}
    for point in entry_points(group=GROUP):
        cls = point.load()
        channel = cls() if isinstance(cls, type) else None
        if not isinstance(channel, Channel) or channel.name != point.name:
            raise TypeError(f"entry point {point.name!r} in {GROUP} must name a Channel class called {point.name!r}")
        found[point.name] = channel
    return found


def get_channel(name: str) -> Channel:
    """The installed channel called `name`, or InvalidInput listing the installed ones."""
    channels = load_channels()
    if name not in channels:
        raise InvalidInput(f"There is no channel {name!r}; installed: {', '.join(sorted(channels)) or 'none'}.")
    return channels[name]
