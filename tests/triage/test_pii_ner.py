"""The optional named-entity finder: loaded once per test run, it finds names no cue and no user list announce."""

from __future__ import annotations

import pytest

from deskpilot.triage.pii import PiiType, redact_pii
from deskpilot.triage.pii_names import CombinedPeople, KnownPeople
from deskpilot.triage.pii_ner import NerPeople


@pytest.fixture(scope="session")
def ner_people() -> NerPeople:
    """One loaded model for the whole run (6-8 s)."""
    people = NerPeople()
    list(people.find_people("load the model for Anna Keller"))
    return people


def test_ner_finds_a_stranger_named_in_running_text(ner_people: NerPeople) -> None:
    text = "My manager Thomas Berger approved the new laptop yesterday."
    redacted = redact_pii(text, people=ner_people)
    assert redacted.text == "My manager [PERSON] approved the new laptop yesterday."
    assert redacted.types == {PiiType.PERSON}


def test_ner_and_the_desks_users_together_leave_ordinary_text_alone(ner_people: NerPeople) -> None:
    people = CombinedPeople([KnownPeople(["Zofia Kowalska"]), ner_people])
    text = "Outlook 365 keeps asking for the password after the Windows update; Kowalska saw it too."
    assert redact_pii(text, people=people).text == (
        "Outlook 365 keeps asking for the password after the Windows update; [PERSON] saw it too.")
