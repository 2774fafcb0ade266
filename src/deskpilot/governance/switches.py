"""The AI kill switch and pilot modes: per capability, for everything or one channel or queue.

A switch is a row in the database, read on every check (one indexed query on a table of a few rows), so a
flip by an admin in one app process takes effect in every other process at its next request. The most
specific scope wins: queue, then channel, then "*"; with no row a capability runs as it always did (auto).
Flipping is audited and announced: an e-mail to the leads and admins through the desk's mailer, and the
dashboard banner lists every capability that is not on auto.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.governance.models import AiSwitch
from deskpilot.runbooks.mailer import Mailer

log = logging.getLogger(__name__)
EVERYWHERE = "*"
SCOPE_KINDS = ("channel", "queue")


def scope_of(*, channel: str | None = None, queue: str | None = None) -> str:
    """The scope key of a channel or a queue (or everywhere)."""
    if channel and queue:
        raise InvalidInput("a switch applies to one channel or one queue, not both")
    if channel:
        return f"channel:{channel.strip().lower()}"
    return f"queue:{queue.strip()}" if queue else EVERYWHERE


def mode(session: Session, capability: Capability, *, channel: str | None = None, queue: str | None = None
         ) -> AiMode:
    """The mode `capability` runs in for a request on `channel` routed to `queue`."""
    wanted = [s for s in (f"queue:{queue}" if queue else None, f"channel:{channel.lower()}" if channel else None,
                          EVERYWHERE) if s]
    found = session.execute(select(AiSwitch.scope, AiSwitch.mode)
                            .where(AiSwitch.capability == capability, AiSwitch.scope.in_(wanted)))
    rows = {scope: switch_mode for scope, switch_mode in found}
    return next((rows[s] for s in wanted if s in rows), AiMode.AUTO)


def get_all(session: Session, *, actor: Principal) -> list[AiSwitch]:
    """Every switch that is set, by capability and scope."""
    require(actor, Permission.AI_GOVERN)
    return list(session.scalars(select(AiSwitch).order_by(AiSwitch.capability, AiSwitch.scope)))


def not_on_auto(session: Session) -> list[AiSwitch]:
    """The switches that hold a capability back, for the dashboard banner."""
    return list(session.scalars(select(AiSwitch).where(AiSwitch.mode != AiMode.AUTO)
                                .order_by(AiSwitch.changed_at.desc())))


def set_mode(session: Session, *, actor: Principal, capability: Capability, new_mode: AiMode, scope: str = EVERYWHERE,
             reason: str = "", settings: Settings | None = None, mailer: Mailer | None = None) -> AiSwitch:
    """Put `capability` into `new_mode` in `scope`; audited, and the leads are told by e-mail when a mailer is
    given (a mail that cannot be sent is logged; the switch holds regardless)."""
    require(actor, Permission.AI_GOVERN)
    kind, _, name = scope.partition(":")
    if scope != EVERYWHERE and (kind not in SCOPE_KINDS or not name.strip()):
        raise InvalidInput(f"scope {scope!r} is not '*', 'channel:<name>' or 'queue:<name>'")
    switch = session.scalars(select(AiSwitch).where(AiSwitch.capability == capability,
                                                    AiSwitch.scope == scope)).first()
    before = switch.mode.value if switch else AiMode.AUTO.value
    if switch is None:
        switch = AiSwitch(capability=capability, scope=scope, mode=new_mode, changed_by=actor.username)
        session.add(switch)
    switch.mode, switch.reason = new_mode, reason.strip()[:500]
    switch.changed_by, switch.changed_at = actor.username, utcnow()
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ai.switch_changed",
                 subject_type="ai_switch", subject_id=f"{capability.value}@{scope}",
                 before={"mode": before}, after={"mode": new_mode.value, "reason": switch.reason})
    if mailer is not None and settings is not None:
        _tell_leads(session, switch, before, settings, mailer)
    return switch


def describe(switch: AiSwitch) -> str:
    where = "everywhere" if switch.scope == EVERYWHERE else switch.scope.replace(":", " ", 1)
    return f"{switch.capability.value.replace('_', ' ')} is {switch.mode.value} ({where})"


def _tell_leads(session: Session, switch: AiSwitch, before: str, settings: Settings, mailer: Mailer) -> None:
    to = list(session.scalars(select(User.email).where(User.role.in_([Role.LEAD, Role.ADMIN]),
                                                        User.is_active.is_(True))))
    if not to:
        return
    message = EmailMessage()
    message["From"] = settings.mail_address
    message["To"] = ", ".join(to)
    message["Subject"] = f"AI switch: {describe(switch)}"
    message.set_content(f"{switch.changed_by} changed {switch.capability.value} in scope {switch.scope} from "
                        f"{before} to {switch.mode.value} at {switch.changed_at:%Y-%m-%d %H:%M} UTC.\n"
                        f"Reason: {switch.reason or 'not given'}\n")
    try:
        mailer.send(message)
    except ProviderError as exc:
        log.warning("could not tell the leads about the AI switch %s: %s", describe(switch), exc.message)


WITHHELD_REASON = "AI answers are switched off in this chat right now; the service desk answers instead."


def withheld(session: Session, capability: Capability, *, decision_id: int, channel: str | None = None,
             queue: str | None = None) -> bool:
    """True when the decision `decision_id` must not reach the requester (off, shadow or suggest); the mode is
    written onto the decision, so shadow decisions stay recorded and countable but are never shown."""
    current = mode(session, capability, channel=channel, queue=queue)
    if current is AiMode.AUTO:
        return False
    decision = decisions.get(session, decision_id=decision_id)
    decision.explanation = {**decision.explanation, "governance_mode": current.value}
    return True
