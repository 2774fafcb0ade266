"""The runbooks deskpilot ships: installed as drafts, so a lead still approves each before it runs."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.errors import NotFound
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.definition import parse
from deskpilot.runbooks.models import RunbookVersion


def sources() -> dict[str, str]:
    """The YAML text of each built-in runbook by name."""
    found = {}
    for item in resources.files(__package__).iterdir():
        if item.name.endswith(".yaml"):
            text = item.read_text(encoding="utf-8")
            found[parse(text).name] = text
    return dict(sorted(found.items()))


def install(session: Session, *, actor: Principal) -> list[RunbookVersion]:
    """Add each built-in runbook that is missing, or a new draft where the shipped text changed."""
    added = []
    for name, text in sources().items():
        try:
            latest = definitions.versions(session, name=name)[-1]
        except NotFound:
            added.append(definitions.create(session, actor=actor, source=text))
            continue
        if latest.source != text:
            added.append(definitions.edit(session, actor=actor, name=name, source=text))
    return added
