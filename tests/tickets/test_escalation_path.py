"""Editing a queue's escalation path on a real database: validated, audited, and walked by the next SLA sweep."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import Role
from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.tickets import escalation, setup
from deskpilot.tickets.escalation import sweep
from deskpilot.tickets.models import EscalationLevel, EscalationNotice
from deskpilot.tickets.setup_schemas import EscalationLevelIn, EscalationPathUpdate, EscalationTrigger
from tests.conftest import FrozenClock
from tests.factories import make_desk, make_queue, make_sla, make_team, open_ticket

NEAR, BREACH = EscalationTrigger.NEAR_BREACH, EscalationTrigger.BREACH


def test_a_changed_path_is_the_one_the_next_sweep_walks(session: Session, clock: FrozenClock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    desk = make_desk(session)
    duty = make_team(session, "Duty managers")
    queue = make_queue(session, "Escalating", desk.carol.teams[0], escalation=[
        EscalationLevelIn(level=1, trigger=NEAR, notify_role=Role.LEAD)])
    make_sla(session, first_response=100, resolution=1000)
    ticket = open_ticket(session, desk, desk.alice, queue=queue)
    adam = Principal.of(desk.adam)
    setup.set_escalation_path(session, actor=adam, queue_id=queue.id, data=EscalationPathUpdate(levels=[
        EscalationLevelIn(level=1, trigger=NEAR, notify_team_id=duty.id),
        EscalationLevelIn(level=2, trigger=BREACH, after_minutes=10, notify_team_id=duty.id, notify_role=Role.ADMIN)]))
    assert [(lvl.level, lvl.notify_team_id, lvl.notify_role) for lvl in queue.escalation_levels] == [
        (1, duty.id, None), (2, duty.id, "admin")]
    assert session.scalars(select(EscalationLevel)).all() == queue.escalation_levels, "the old level row is gone"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "queue.escalation_path")).one()
    assert event.before[0]["notify_role"] == "lead" and event.after[1]["after_minutes"] == 10

    clock.advance(minutes=85)
    sweep(session, now=clock.now)
    clock.advance(minutes=30)
    sweep(session, now=clock.now)
    notices = escalation.recent_notices(session, actor=Principal.of(desk.audrey), queue_id=queue.id)
    assert [(n.level, n.notify_team_id, n.notify_role) for n in notices] == [(2, duty.id, "admin"),
                                                                             (1, duty.id, None)]
    assert ticket.escalation_level == 2


def test_an_emptied_path_escalates_nobody(session: Session, clock: FrozenClock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    desk = make_desk(session)
    queue = make_queue(session, "Quiet", desk.carol.teams[0], escalation=[
        EscalationLevelIn(level=1, trigger=NEAR, notify_role=Role.LEAD)])
    make_sla(session, first_response=100, resolution=1000)
    open_ticket(session, desk, desk.alice, queue=queue)
    setup.set_escalation_path(session, actor=Principal.of(desk.lena), queue_id=queue.id,
                              data=EscalationPathUpdate(levels=[]))
    clock.advance(minutes=200)
    assert sweep(session, now=clock.now).notices == 0
    assert session.scalars(select(EscalationNotice)).all() == []


@pytest.mark.parametrize(("levels", "problem"), [
    ([EscalationLevelIn(level=1, trigger=BREACH, notify_role=Role.LEAD),
      EscalationLevelIn(level=1, trigger=BREACH, after_minutes=5, notify_role=Role.ADMIN)], "distinct"),
    ([EscalationLevelIn(level=1, trigger=BREACH, after_minutes=60, notify_role=Role.LEAD),
      EscalationLevelIn(level=2, trigger=BREACH, after_minutes=30, notify_role=Role.ADMIN)], "Level 2 would fire"),
    ([EscalationLevelIn(level=1, trigger=BREACH, notify_role=Role.LEAD),
      EscalationLevelIn(level=2, trigger=NEAR, notify_role=Role.ADMIN)], "Level 2 would fire before level 1"),
    ([EscalationLevelIn(level=1, trigger=NEAR, notify_team_id=999_999)], "No team with id 999999"),
])
def test_an_invalid_path_is_refused_and_the_old_one_kept(session: Session, levels: list[EscalationLevelIn],
                                                         problem: str) -> None:
    desk = make_desk(session)
    queue = make_queue(session, "Kept", None, escalation=[EscalationLevelIn(level=1, trigger=NEAR,
                                                                           notify_role=Role.LEAD)])
    with pytest.raises(InvalidInput, match=problem):
        setup.set_escalation_path(session, actor=Principal.of(desk.adam), queue_id=queue.id,
                                  data=EscalationPathUpdate(levels=levels))
    assert [(lvl.level, lvl.notify_role) for lvl in queue.escalation_levels] == [(1, "lead")]


def test_a_level_must_notify_someone_and_near_breach_has_no_minutes() -> None:
    with pytest.raises(ValidationError, match="notifies nobody"):
        EscalationLevelIn(level=1, trigger=BREACH)
    with pytest.raises(ValidationError, match="leave them at 0"):
        EscalationLevelIn(level=1, trigger=NEAR, after_minutes=15, notify_role=Role.LEAD)


@pytest.mark.parametrize("who", ["carol", "audrey", "alice"])
def test_only_admins_and_leads_edit_a_path(session: Session, who: str) -> None:
    desk = make_desk(session)
    with pytest.raises(PermissionDenied):
        setup.set_escalation_path(session, actor=Principal.of(getattr(desk, who)), queue_id=desk.network.id,
                                  data=EscalationPathUpdate(levels=[]))
