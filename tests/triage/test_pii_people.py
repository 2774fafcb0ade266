"""PII that finds people: names by cue and by the desk's own users, employee and identity numbers."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.pii import PiiType, redact_pii
from deskpilot.triage.pii_names import KnownPeople
from tests.factories import make_desk
from tests.triage.conftest import seed_categories


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi Anna,\nthe printer jams", "Hi [PERSON],\nthe printer jams"),
        ("Dear Mr. Okafor, thanks", "Dear Mr. [PERSON], thanks"),
        ("Hallo Jörg!\nVPN geht nicht", "Hallo [PERSON]!\nVPN geht nicht"),
        ("VPN drops.\nRegards,\nJohn Smith", "VPN drops.\nRegards,\n[PERSON]"),
        ("Thanks\n- Mei Lin Chen\n", "Thanks\n- [PERSON]\n"),
        ("my name is Priya Raman and I need access", "my name is [PERSON] and I need access"),
        ("please ask Frau Müller in HR", "please ask Frau [PERSON] in HR"),
        ("employee number 483920 cannot sign in", "employee number [ID] cannot sign in"),
        ("Personalnummer: A-20931.", "Personalnummer: [ID]."),
        ("staff ID is 00912, thanks", "staff ID is [ID], thanks"),
        ("EMP-004211 is locked out", "[ID] is locked out"),
        ("SSN 123-45-6789 on the form", "SSN [ID] on the form"),
    ],
)
def test_names_and_people_numbers_are_replaced(text: str, expected: str) -> None:
    assert redact_pii(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hi team,\nthe share is full",
        "Hello all, Outlook crashes",
        "Hi,\nVPN drops every hour",
        "Regards,\nIT Support",
        "ticket 48392 and order 1234567 are open",
        "employee onboarding checklist for March",
        "Windows 11 update KB5031356 failed",
        "Hi [PERSON],\nemployee number [ID]",
    ],
)
def test_ordinary_desk_words_stay(text: str) -> None:
    assert redact_pii(text).text == text


def test_the_desks_own_people_are_names_wherever_they_stand() -> None:
    people = KnownPeople(["Siobhán O'Neill", "Kenji  Watanabe", "May Lee", "admin"])
    text = ("siobhán o'neill wants the licence of Watanabe moved; May we also ask Lee? kenji watanabe agrees, "
            "the admin too")
    redacted = redact_pii(text, people=people)
    assert redacted.text == ("[PERSON] wants the licence of [PERSON] moved; May we also ask [PERSON]? [PERSON] agrees, "
                             "the admin too")
    assert redacted.types == {PiiType.PERSON}
    assert redact_pii(redacted.text, people=people).findings == []


def test_triage_redacts_a_users_name_before_it_reaches_the_ai_record(
        session: Session, triage_settings: Settings, triage_engine: TriageEngine) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    desk.bob.full_name = "Bartholomew Quint"
    session.flush()
    ticket, _ = intake.open_ticket(
        session, actor=Principal.of(desk.alice), settings=triage_settings, triage=triage_engine,
        data=TicketCreate(subject="laptop for Quint", description="please give bartholomew quint a new laptop, "
                          "employee no 770123"))
    [decision] = decisions.for_subject(session, subject_type="ticket", subject_id=ticket.id, kind=DecisionKind.TRIAGE)
    assert "quint" not in decision.input_redacted.lower()
    assert "770123" not in decision.input_redacted
    assert "[PERSON]" in decision.input_redacted and "[ID]" in decision.input_redacted
