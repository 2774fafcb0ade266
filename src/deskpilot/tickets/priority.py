"""Priority from impact × urgency (the ITIL matrix), overridable per desk."""

from __future__ import annotations

from collections.abc import Mapping

from deskpilot.tickets.enums import Level, Priority

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW

DEFAULT_MATRIX: Mapping[tuple[Level, Level], Priority] = {
    (H, H): Priority.P1, (H, M): Priority.P2, (M, H): Priority.P2,
    (H, L): Priority.P3, (M, M): Priority.P3, (L, H): Priority.P3,
    (M, L): Priority.P4, (L, M): Priority.P4, (L, L): Priority.P4,
}


def priority_for(impact: Level, urgency: Level,
                 matrix: Mapping[tuple[Level, Level], Priority] = DEFAULT_MATRIX) -> Priority:
    """The priority the matrix gives for (impact, urgency)."""
    return matrix[(impact, urgency)]
