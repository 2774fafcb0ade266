"""Every owner of personal data the privacy flow asks: the areas' sources, and the faces' from entry points.

A face that owns data (a channel, a connector) registers its source in the `deskpilot.personal_data` entry
point group, because a flow may not import a face.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from deskpilot.accounts.personal_data import SOURCE as ACCOUNTS
from deskpilot.conversations.personal_data import SOURCE as CONVERSATIONS
from deskpilot.governance.personal_data import SOURCE as GOVERNANCE
from deskpilot.kb.personal_data import SOURCE as KB
from deskpilot.personal_data import PersonalDataSource
from deskpilot.runbooks.personal_data import SOURCE as RUNBOOKS
from deskpilot.tickets.personal_data import SOURCE as TICKETS

GROUP = "deskpilot.personal_data"
BUILT_IN: tuple[PersonalDataSource, ...] = (ACCOUNTS, TICKETS, CONVERSATIONS, KB, RUNBOOKS, GOVERNANCE)


def registered_sources() -> list[PersonalDataSource]:
    """The sources installed in the `deskpilot.personal_data` entry point group, each named as its point."""
    found: list[PersonalDataSource] = []
    for point in entry_points(group=GROUP):
        source = point.load()
        if not isinstance(source, PersonalDataSource) or source.name != point.name:
            raise TypeError(f"entry point {point.name!r} in {GROUP} must name a PersonalDataSource called "
                            f"{point.name!r}")
        found.append(source)
    return sorted(found, key=lambda source: source.name)


def all_sources() -> list[PersonalDataSource]:
    """The areas' sources, then every registered one."""
    return [*BUILT_IN, *registered_sources()]
