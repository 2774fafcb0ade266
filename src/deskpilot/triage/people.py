"""The people the redactor knows by name: the desk's users (requesters, agents, admins) and, when configured, the
named-entity model. Built once per process and rebuilt when the users table changes."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.config import Settings
from deskpilot.triage.pii_names import CombinedPeople, KnownPeople, PeopleFinder
from deskpilot.triage.pii_ner import NerPeople

_Fingerprint = tuple[int, int, int]


def _fingerprint(session: Session) -> _Fingerprint:
    # A new, removed or renamed user changes the count, the highest id or the names' total length.
    count, highest, lengths = session.execute(
        select(func.count(User.id), func.max(User.id), func.sum(func.length(User.full_name)))).one()
    return int(count or 0), int(highest or 0), int(lengths or 0)


class DeskPeople:
    """Hands the redactor a `PeopleFinder` for the users table as it is now."""

    def __init__(self, settings: Settings) -> None:
        self._ner = NerPeople() if settings.pii_ner else None
        self._known = KnownPeople(())
        self._seen: _Fingerprint | None = None
        self._lock = threading.Lock()

    def finder(self, session: Session) -> PeopleFinder:
        """The desk's people (reloaded when the users table changed), plus the model when configured."""
        current = _fingerprint(session)
        with self._lock:
            if current != self._seen:
                self._known = KnownPeople(session.scalars(select(User.full_name)))
                self._seen = current
            known = self._known
        return CombinedPeople([known, self._ner]) if self._ner is not None else known
