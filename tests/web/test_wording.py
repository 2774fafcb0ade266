"""The plain words pages use for SLA clocks, and the pure checks behind forms, CSRF and redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.sla import TicketClocks
from deskpilot.tickets.sla_clock import SlaState, SlaStatus
from deskpilot.web import csrf, wording
from deskpilot.web.auth_pages import safe_next
from deskpilot.web.forms import ReplyForm, RequestForm

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _clock(state: SlaState, due_in_minutes: float | None, met: bool = False) -> SlaStatus:
    due = NOW + timedelta(minutes=due_in_minutes) if due_in_minutes is not None else None
    return SlaStatus(state=state, target_minutes=60, elapsed_minutes=0, remaining_minutes=due_in_minutes or 0,
                     due_at=due, met_at=NOW if met else None, breached_at=None)


@pytest.mark.parametrize(("first", "resolution", "for_requester", "text", "tone"), [
    (_clock(SlaState.RUNNING, 45), _clock(SlaState.RUNNING, 480), True, "First reply expected in 45 minutes",
     wording.Tone.ON_TRACK),
    (_clock(SlaState.NEAR_BREACH, 10), _clock(SlaState.RUNNING, 480), False, "First reply due soon, in 10 minutes",
     wording.Tone.SOON),
    (_clock(SlaState.BREACHED, -120), _clock(SlaState.RUNNING, 480), True,
     "First reply was due 2 hours ago – we are on it", wording.Tone.LATE),
    (_clock(SlaState.MET, 30, met=True), _clock(SlaState.RUNNING, 2 * 24 * 60), True,
     "Resolution expected in 2 days", wording.Tone.ON_TRACK),
    (_clock(SlaState.MET, 30, met=True), _clock(SlaState.BREACHED, -30), False, "Resolution was due 30 minutes ago",
     wording.Tone.LATE),
    (_clock(SlaState.MET, 30, met=True), _clock(SlaState.PAUSED, None), True, "On hold until you reply",
     wording.Tone.PAUSED),
    (_clock(SlaState.MET, 30, met=True), _clock(SlaState.PAUSED, None), False, "Paused – waiting on requester",
     wording.Tone.PAUSED),
])
def test_the_sla_line_names_the_clock_that_matters_now(first: SlaStatus, resolution: SlaStatus,
                                                       for_requester: bool, text: str, tone: wording.Tone) -> None:
    summary = wording.sla_summary(status=TicketStatus.OPEN, clocks=TicketClocks(first, resolution), now=NOW,
                                  for_requester=for_requester)
    assert (summary.text, summary.tone) == (text, tone)


def test_a_ticket_waiting_on_its_requester_is_on_hold_even_without_a_recorded_pause() -> None:
    clocks = TicketClocks(_clock(SlaState.MET, 30, met=True), _clock(SlaState.RUNNING, 480))
    summary = wording.sla_summary(status=TicketStatus.WAITING_ON_CUSTOMER, clocks=clocks, now=NOW,
                                  for_requester=True)
    assert (summary.text, summary.due_at) == ("On hold until you reply", None)


def test_finished_tickets_and_tickets_without_a_policy_say_so() -> None:
    done = wording.sla_summary(status=TicketStatus.CLOSED, clocks=TicketClocks(None, None), now=NOW,
                               for_requester=True)
    none = wording.sla_summary(status=TicketStatus.NEW, clocks=TicketClocks(None, None), now=NOW, for_requester=True)
    assert (done.text, done.tone, none.text) == ("Closed", wording.Tone.DONE, "No target time applies")


@pytest.mark.parametrize(("minutes", "text"), [(0.2, "just now"), (1, "in 1 minute"), (-59, "59 minutes ago"),
                                               (239, "in 4 hours"), (23 * 60, "in 23 hours"),
                                               (4319, "in 3 days"), (-36 * 60, "2 days ago")])
def test_relative_times_round_to_the_nearest_unit(minutes: float, text: str) -> None:
    assert wording.relative(NOW + timedelta(minutes=minutes), NOW) == text


def test_csrf_tokens_are_bound_to_their_secret_and_key() -> None:
    token = csrf.token_for(secret_key="k" * 40, binding="session-a")
    assert csrf.is_valid(secret_key="k" * 40, binding="session-a", submitted=token)
    assert not csrf.is_valid(secret_key="k" * 40, binding="session-b", submitted=token)
    assert not csrf.is_valid(secret_key="other" * 8, binding="session-a", submitted=token)
    assert not csrf.is_valid(secret_key="k" * 40, binding=None, submitted=token)
    assert not csrf.is_valid(secret_key="k" * 40, binding="session-a", submitted="")
    assert not csrf.is_valid(secret_key="k" * 40, binding="session-a", submitted="ünïcode")


@pytest.mark.parametrize(("path", "kept"), [("/tickets/3", True), ("/queue?status=new", True),
                                            ("//evil.example", False), ("https://evil.example", False),
                                            ("/\\evil.example", False), ("/x\r\nSet-Cookie: a=b", False)])
def test_only_local_paths_are_followed_after_sign_in(path: str, kept: bool) -> None:
    assert (safe_next(path) == path) is kept


def test_forms_normalise_line_breaks_and_refuse_unstorable_text() -> None:
    form = RequestForm(subject="VPN", description="line 1\r\nline 2", impact="low", urgency="high")
    ticket = form.to_ticket()
    assert ticket is not None and ticket.description == "line 1\nline 2"
    nul = ReplyForm(body="a\x00b")
    assert nul.to_message() is None and nul.error is not None and "cannot be saved" in nul.error
