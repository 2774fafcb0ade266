"""Properties of PII redaction that must hold for any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deskpilot.triage.pii import redact_pii

_SAMPLES = [
    "alice@example.com",
    "+49 30 1234567",
    "(030) 1234567",
    "4111 1111 1111 1111",
    "5555555555554444",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "192.168.0.1",
    "2001:db8::1",
    "::1",
    "password: Hunter2!",
    "my pwd is s3cret",
    "10.0.19045",
    "0x80070005",
    "INC0012345",
    "2024-01-15",
    "[EMAIL]",
    "[PASSWORD]",
]
_FILLER = st.text(alphabet="abcXYZ019 .,:;-+@#/()[]!?\n", max_size=12)
_MIXED_TEXT = st.lists(st.one_of(st.sampled_from(_SAMPLES), _FILLER), max_size=12).map("".join)
_SPACED_TEXT = st.lists(st.one_of(st.sampled_from(_SAMPLES), _FILLER), max_size=12).map(" ".join)

_EMAILS = st.builds(
    "{}@{}.{}".format,
    st.text(alphabet="abcdefghij0123456789._-", min_size=1, max_size=12).filter(
        lambda local: local[0].isalnum() and local[-1].isalnum()
    ),
    st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=10),
    st.sampled_from(["com", "de", "org", "co.uk", "example"]),
)


def _luhn_complete(partial: str) -> str:
    for check in "0123456789":
        digits = partial + check
        total = sum(
            (int(char) * 2 - 9 if int(char) > 4 else int(char) * 2) if position % 2 else int(char)
            for position, char in enumerate(reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable: one check digit always completes a Luhn number")


_CARDS = st.builds(
    lambda body, spaced: " ".join(body[i : i + 4] for i in range(0, 16, 4)) if spaced else body,
    st.text(alphabet="0123456789", min_size=15, max_size=15).map(lambda rest: _luhn_complete("4" + rest[1:])),
    st.booleans(),
)
_WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(_MIXED_TEXT)
def test_redacting_twice_finds_nothing_new(text: str) -> None:
    once = redact_pii(text)
    twice = redact_pii(once.text)
    assert twice.findings == []
    assert twice.text == once.text


@settings(max_examples=100, deadline=None)
@given(_SPACED_TEXT)
def test_second_pass_never_finds_more_than_the_first(text: str) -> None:
    once = redact_pii(text)
    assert len(redact_pii(once.text).findings) <= len(once.findings)


@settings(max_examples=100, deadline=None)
@given(_EMAILS, _CARDS, _WORDS, _WORDS)
def test_redacted_text_never_contains_the_email_or_card(
    email: str, card: str, before: str, after: str
) -> None:
    text = f"{before} {email} and {card} {after}"
    redacted = redact_pii(text).text
    assert email not in redacted
    assert card not in redacted
    assert card.replace(" ", "") not in redacted.replace(" ", "")


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_arbitrary_unicode_never_crashes_and_spans_are_sound(text: str) -> None:
    redaction = redact_pii(text)
    previous_end = 0
    for finding in redaction.findings:
        assert previous_end <= finding.start < finding.end <= len(text)
        previous_end = finding.end
