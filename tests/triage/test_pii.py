"""PII redaction: table-driven positives and negatives, spans, per-type switches."""

from __future__ import annotations

import pytest

from deskpilot.triage.pii import ALL_PII_TYPES, PiiFinding, PiiType, find_pii, placeholder, redact_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contact john.doe@example.com please", "Contact [EMAIL] please"),
        ("mail: Anna-Lena.Müller+it@firma.co.uk.", "mail: [EMAIL]."),
        ("Visa 4111 1111 1111 1111 was charged", "Visa [CARD] was charged"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("card 4111111111111111", "card [CARD]"),
        ("Mastercard 5555 5555 5555 4444", "Mastercard [CARD]"),
        ("Amex 3782 822463 10005", "Amex [CARD]"),
        ("ref 1234 4111 1111 1111 1111 ok", "ref 1234 [CARD] ok"),
        ("4111 1111 1111 1111 2001:db8::1", "[CARD] [IP]"),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "IBAN [IBAN] thanks"),
        ("IBAN DE89370400440532013000.", "IBAN [IBAN]."),
        ("GB82 WEST 1234 5698 7654 32 is mine", "[IBAN] is mine"),
        ("BE68 5390 0754 7034 from accounting", "[IBAN] from accounting"),
        ("server 192.168.1.10 is down", "server [IP] is down"),
        ("gateway 10.0.0.1.", "gateway [IP]."),
        ("loopback ::1 answers", "loopback [IP] answers"),
        ("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 here", "v6 [IP] here"),
        ("v6 2001:db8::ff00:42:8329 here", "v6 [IP] here"),
        ("link-local fe80::1%eth0 here", "link-local [IP] here"),
        ("mapped ::ffff:192.168.1.1 here", "mapped [IP] here"),
        ("web [2001:db8::1]:443 down", "web [[IP]]:443 down"),
        ("Call me on +49 30 1234567", "Call me on [PHONE]"),
        ("Call me on +1 (555) 123-4567 today", "Call me on [PHONE] today"),
        ("reach me at 0049 170 1234567", "reach me at [PHONE]"),
        ("my number is 555-123-4567", "my number is [PHONE]"),
        ("landline (030) 1234567", "landline [PHONE]"),
        ("mobile 0171 1234567.", "mobile [PHONE]."),
        ("Tel.: 1234567", "Tel.: [PHONE]"),
        ("ring 0171/1234567 after 5", "ring [PHONE] after 5"),
        ("(030) 1234567 (030) 1234567", "[PHONE] [PHONE]"),
        ("ticket 4711 (030) 1234567", "ticket 4711 [PHONE]"),
    ],
)
def test_pii_is_replaced_by_typed_placeholder(text: str, expected: str) -> None:
    assert redact_pii(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 declined",  # 16 digits, Luhn fails
        "order 1234567812345678",  # Luhn fails
        "ports 8080 8443 9090 3000 open",  # Luhn passes by chance, no card network starts with 8
        "IBAN DE89 3704 0044 0532 0130 01",  # mod-97 fails
        "IBAN DE89370400440532013001",
        "Windows 10.0.19045 build",
        "version 10.0.19045.2006 installed",
        "address 999.1.1.1 is not valid",
        "semver 1.2.3-beta and 2.0",
        "error 0x80070005 when updating",
        "ticket INC0012345 and case #123456",
        "Ticket 0012345678 still open",
        "order number 0301234567",
        "dated 2024-01-15 or 15.01.2024 at 14:30",
        "on 01/15/2024 the job failed",
        "error code 80070005",
        "KB5034441 failed to install",
        "MAC 00:1A:2B:3C:4D:5E and time 14:30:00",
        "C++ std::vector and Foo::Bar::baz, a::b",
        "serial SN 4CE0460D0G",
        "room 1204, floor 3, 250 users",
        "my password is expired",
        "password isn't working since Monday",
        "Password reset needed",
        "the password is wrong",
        "",
    ],
)
def test_text_without_pii_is_left_alone(text: str) -> None:
    redaction = redact_pii(text)
    assert redaction.findings == []
    assert redaction.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my password is Hunter2! please reset", "my password is [PASSWORD] please reset"),
        ("pwd: x", "pwd: [PASSWORD]"),
        ("password = s3cr3t;", "password = [PASSWORD];"),
        ("password=abc123", "password=[PASSWORD]"),
        ("Passwort: Geheim123", "Passwort: [PASSWORD]"),
        ("new pass: abc.def.", "new pass: [PASSWORD]."),
        ("My password is now Summer2024, ok?", "My password is now [PASSWORD], ok?"),
        ("the password is: tr0ub4dor", "the password is: [PASSWORD]"),
        ("I changed my password to Winter#1 yesterday", "I changed my password to [PASSWORD] yesterday"),
        ('password is "correct horse battery staple" ok', "password is [PASSWORD] ok"),
        ("Mein Kennwort lautet Sommer2024", "Mein Kennwort lautet [PASSWORD]"),
        ("Mot de passe : azerty123", "Mot de passe : [PASSWORD]"),
        ("PW: p@ss w0rd", "PW: [PASSWORD] w0rd"),
        ("PIN: 4711", "PIN: [PASSWORD]"),
    ],
)
def test_typed_passwords_are_redacted(text: str, expected: str) -> None:
    assert redact_pii(text).text == expected


def test_multiple_pii_in_one_text_have_spans_in_the_original() -> None:
    text = (
        "Hi, I'm bob@example.org, call +44 20 7946 0958. Card 4111 1111 1111 1111, "
        "IBAN DE89 3704 0044 0532 0130 00, host 10.1.2.3, password: Hunter2! employee no 483920\nRegards,\nBob Jones"
    )
    redaction = redact_pii(text)
    found = [(finding.type, text[finding.start : finding.end]) for finding in redaction.findings]
    assert found == [
        (PiiType.EMAIL, "bob@example.org"),
        (PiiType.PHONE, "+44 20 7946 0958"),
        (PiiType.CARD, "4111 1111 1111 1111"),
        (PiiType.IBAN, "DE89 3704 0044 0532 0130 00"),
        (PiiType.IP, "10.1.2.3"),
        (PiiType.PASSWORD, "Hunter2!"),
        (PiiType.ID, "483920"),
        (PiiType.PERSON, "Bob Jones"),
    ]
    assert redaction.text == (
        "Hi, I'm [EMAIL], call [PHONE]. Card [CARD], IBAN [IBAN], host [IP], password: [PASSWORD] employee no [ID]"
        "\nRegards,\n[PERSON]"
    )
    assert redaction.types == set(PiiType)


def test_findings_store_type_and_span_but_no_value() -> None:
    finding = find_pii("write to alice@example.com")[0]
    assert finding == PiiFinding(type=PiiType.EMAIL, start=9, end=26)
    assert set(PiiFinding.__slots__) == {"type", "start", "end"}


def test_overlapping_candidates_keep_the_more_specific_type() -> None:
    # The password value is also an e-mail address; the password cue wins and nothing leaks.
    redaction = redact_pii("password: alice@example.com")
    assert redaction.text == "password: [PASSWORD]"
    # A Luhn-valid card number is not reported a second time as a phone number.
    assert [finding.type for finding in find_pii("+4111111111111111")] == [PiiType.CARD]


def test_only_enabled_types_are_redacted() -> None:
    text = "alice@example.com from 10.0.0.7"
    redaction = redact_pii(text, enabled={PiiType.IP})
    assert redaction.text == "alice@example.com from [IP]"
    assert redact_pii(text, enabled=set()).text == text


def test_placeholders_are_typed() -> None:
    assert {placeholder(kind) for kind in ALL_PII_TYPES} == {
        "[EMAIL]",
        "[PHONE]",
        "[CARD]",
        "[IBAN]",
        "[IP]",
        "[PASSWORD]",
        "[ID]",
        "[PERSON]",
    }


def test_redacted_text_is_not_redacted_again() -> None:
    once = redact_pii("pwd: hunter2 and mail a@b.de, ip 1.2.3.4, tel +49 30 1234567").text
    again = redact_pii(once)
    assert again.findings == []
    assert again.text == once
