"""/api/v1/governance/switches: the AI kill switch and pilot modes per capability and channel or queue."""

from __future__ import annotations

from fastapi import APIRouter

from deskpilot.api.deps import CurrentPrincipal, RuntimeDep, SessionDep
from deskpilot.governance import switches
from deskpilot.governance.models import AiSwitch
from deskpilot.governance.schemas import AiSwitchRead, AiSwitchUpdate
from deskpilot.runbooks.mailer import SmtpMailer

router = APIRouter(prefix="/api/v1/governance/switches", tags=["governance"])


def to_read(switch: AiSwitch) -> AiSwitchRead:
    return AiSwitchRead(capability=switch.capability, scope=switch.scope, mode=switch.mode, reason=switch.reason,
                        changed_by=switch.changed_by, changed_at=switch.changed_at)


@router.get("", operation_id="list_ai_switches")
def list_ai_switches(session: SessionDep, actor: CurrentPrincipal) -> list[AiSwitchRead]:
    """Every capability switch that is set; a capability without one runs on auto."""
    return [to_read(s) for s in switches.get_all(session, actor=actor)]


@router.put("", operation_id="set_ai_switch")
def set_ai_switch(data: AiSwitchUpdate, session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep) -> AiSwitchRead:
    """Put a capability into off / shadow / suggest / auto for everything, a channel or a queue; audited, and the
    leads are told by e-mail."""
    return to_read(switches.set_mode(session, actor=actor, capability=data.capability, new_mode=data.mode,
                                     scope=data.scope, reason=data.reason, settings=ai.settings,
                                     mailer=SmtpMailer(ai.settings) if ai.settings.mail_smtp_host else None))
