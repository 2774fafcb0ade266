"""The closed vocabularies of the connectors' overlay mode."""

from enum import StrEnum


class WriteBack(StrEnum):
    """How the overlay writes its triage into the ITSM when it acts on its own (governance mode auto): `note`, an
    internal note only; `fields`, the ITSM's own fields (category, priority, assignment group) and the note with the
    draft reply and similar tickets. In suggest mode it always writes the note only, for the agents to apply."""

    NOTE = "note"
    FIELDS = "fields"


class OverlayState(StrEnum):
    """Where the overlay stands with one ITSM ticket: `claimed`, triaged and about to be written back (a run that
    finds this state looks for its own note before writing, so a crash writes it once); `written`, the note is in
    the ITSM; `shadow`, triaged and recorded only (governance mode shadow)."""

    CLAIMED = "claimed"
    WRITTEN = "written"
    SHADOW = "shadow"


class SyncSide(StrEnum):
    """A side of a synced ticket."""

    DESK = "deskpilot"
    ITSM = "itsm"


class SyncDirection(StrEnum):
    """Where a synced comment was written first: `in`, in the ITSM (read into the desk); `out`, in the desk."""

    IN = "in"
    OUT = "out"


class SyncRule(StrEnum):
    """Why the sync did not keep a value (docs/connectors.md states each rule): `owner`, both sides changed the field
    and the side that owns it won; `no_regression`, a status change would have moved a side backwards."""

    OWNER = "owner"
    NO_REGRESSION = "no_regression"
