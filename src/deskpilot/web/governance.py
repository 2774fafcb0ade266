"""The governance pages for leads and admins: the last replay runs side by side (what the gate compared, what
changed, and its verdict) and the replay set versions they replayed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from deskpilot.api.deps import SessionDep
from deskpilot.governance import gate, replay_sets
from deskpilot.web.templating import render
from deskpilot.web.viewer import StaffViewer

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 4


@router.get("/governance/replay")
def replay_runs(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """The newest replay runs side by side, per category, with the cases that changed."""
    runs = gate.recent_runs(session, actor=viewer.principal, limit=RUNS_SHOWN)
    labels = sorted({label for run in runs for label in (run.report.get("triage") or {}).get("by_label", {})})
    return render(request, "governance/replay.html", {
        "runs": runs, "labels": labels, "sets": replay_sets.get_all(session)[:5], "counts": replay_sets.counts,
    }, viewer=viewer)
