"""Impact × urgency signals and the priority they suggest."""

from __future__ import annotations

import pytest

from deskpilot.tickets.enums import Level, Priority
from deskpilot.triage.signals import ImpactUrgency, assess_impact_urgency, suggest_priority

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW


@pytest.mark.parametrize(
    ("text", "impact", "urgency", "priority"),
    [
        ("E-mail is down for everyone in the whole office", H, H, Priority.P1),
        ("Production database is unreachable, customers affected", H, H, Priority.P1),
        ("Ransomware note on the file server, files are encrypted", H, H, Priority.P1),
        ("The VPN server is down", M, H, Priority.P2),
        ("I clicked a link in a phishing mail and entered my details", M, H, Priority.P2),
        ("My company laptop was stolen from my car", M, H, Priority.P2),
        ("All users see a slow intranet", H, L, Priority.P3),
        ("Outlook crashes, urgent!", L, H, Priority.P3),
        ("I cannot work, my laptop does not boot", L, H, Priority.P3),
        ("I need the report tool before 3pm", L, H, Priority.P3),
        ("Several colleagues cannot print, deadline tomorrow", M, M, Priority.P3),
        ("Please install Visio, deadline tomorrow", L, M, Priority.P4),
        ("My mouse is broken", L, L, Priority.P4),
        ("Shut down my laptop and downloaded the file again", L, L, Priority.P4),
        ("New monitor please, not urgent, no rush", L, L, Priority.P4),
    ],
)
def test_text_cues_set_impact_urgency_and_priority(
    text: str, impact: Level, urgency: Level, priority: Priority
) -> None:
    signals = assess_impact_urgency(text)
    assert (signals.impact, signals.urgency) == (impact, urgency)
    assert suggest_priority(signals) is priority


def test_reasons_name_the_cues_found() -> None:
    signals = assess_impact_urgency("Email is down for everyone, asap")
    assert any("wide impact" in reason and "everyone" in reason for reason in signals.reasons)
    assert any("outage" in reason for reason in signals.reasons)
    assert assess_impact_urgency("The printer is out of paper").reasons == []


def test_denied_urgency_is_not_counted() -> None:
    signals = assess_impact_urgency("This is not urgent")
    assert signals.urgency is L
    assert signals.reasons == ["requester says it can wait: 'is not urgent'"]


def test_vip_requester_raises_urgency_one_level() -> None:
    assert assess_impact_urgency("Monitor flickers", requester_is_vip=True).urgency is M
    signals = assess_impact_urgency("Need it by tomorrow", requester_is_vip=True)
    assert signals.urgency is H
    assert "VIP requester" in signals.reasons
    assert assess_impact_urgency("urgent", requester_is_vip=True).urgency is H


def test_affected_user_count_sets_an_impact_floor() -> None:
    assert assess_impact_urgency("Printer broken", affected_users=1).impact is L
    assert assess_impact_urgency("Printer broken", affected_users=3).impact is M
    assert assess_impact_urgency("Printer broken", affected_users=40).impact is H


def test_default_matrix_is_the_itil_one() -> None:
    expected = {
        (H, H): "P1",
        (H, M): "P2",
        (M, H): "P2",
        (M, M): "P3",
        (H, L): "P3",
        (L, H): "P3",
        (M, L): "P4",
        (L, M): "P4",
        (L, L): "P4",
    }
    for (impact, urgency), priority in expected.items():
        assert suggest_priority(ImpactUrgency(impact=impact, urgency=urgency)) == priority


def test_a_desk_matrix_overrides_the_default() -> None:
    strict = {(impact, urgency): Priority.P2 for impact in Level for urgency in Level} | {(H, H): Priority.P1}
    assert suggest_priority(ImpactUrgency(impact=L, urgency=L), matrix=strict) is Priority.P2
