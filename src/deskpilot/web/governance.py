"""The governance pages for leads and admins: the last replay runs side by side (what the gate compared, what
changed, and its verdict) with the replay set versions they replayed, and the AI switches (kill switch and
pilot modes per capability and channel or queue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.api.deps import RuntimeDep, SessionDep
from deskpilot.governance import gate, replay_sets, switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.runbooks.mailer import SmtpMailer
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, StaffViewer

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


@router.get("/governance/switches")
def ai_switches(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """The switches that are set, and the form that flips one."""
    return render(request, "governance/switches.html", {
        "switches": switches.get_all(session, actor=viewer.principal), "capabilities": list(Capability),
        "modes": list(AiMode), "describe": switches.describe}, viewer=viewer)


@router.post("/governance/switches")
def flip_ai_switch(session: SessionDep, viewer: FormViewer, ai: RuntimeDep,
                   capability: Annotated[Capability, Form()], mode: Annotated[AiMode, Form()],
                   scope: Annotated[str, Form(max_length=140)] = "*",
                   reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    switches.set_mode(session, actor=viewer.principal, capability=capability, new_mode=mode,
                      scope=scope.strip() or "*", reason=reason, settings=ai.settings,
                      mailer=SmtpMailer(ai.settings) if ai.settings.mail_smtp_host else None)
    return RedirectResponse("/governance/switches", status_code=303)
