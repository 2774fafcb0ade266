"""Pure parsing: the corpus of ugly mail, quotes and signatures, loops and bounces, and a fuzz property."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskpilot.channels.email.parse import ParsedMail, message_ids, parse_mail, ticket_number
from deskpilot.channels.email.text import decode_bytes, html_to_text, strip_reply
from tests.channels.email.conftest import CORPUS

OURS = frozenset({"desk.example"})


def _corpus(name: str) -> ParsedMail:
    return parse_mail((CORPUS / name).read_bytes(), own_domains=OURS)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.name)
def test_every_corpus_mail_parses_into_storable_text(path: Path) -> None:
    parsed = parse_mail(path.read_bytes(), own_domains=OURS)
    for text in (parsed.subject, parsed.text, parsed.clean_text, parsed.from_address, parsed.message_id):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: every database can store it
    assert parsed.message_id and len(parsed.message_id) <= 255


@pytest.mark.parametrize(("name", "reason"), [
    ("auto_reply_ooo.eml", "Auto-Submitted: auto-replied"),
    ("bounce_dsn.eml", "bounce sender mailer-daemon@mx.acme.example"),
    ("precedence_bulk.eml", "Precedence: bulk"),
])
def test_auto_replies_bounces_and_bulk_mail_are_recognised(name: str, reason: str) -> None:
    assert _corpus(name).auto_reply == reason


def test_human_mail_is_not_mistaken_for_an_auto_reply() -> None:
    assert [_corpus(n).auto_reply for n in ("outlook_reply.eml", "forwarded_chain.eml", "html_only.eml")] == [
        None, None, None]


def test_a_delivery_report_from_an_ordinary_sender_is_still_a_bounce() -> None:
    raw = (CORPUS / "bounce_dsn.eml").read_bytes().replace(b"MAILER-DAEMON@mx.acme.example", b"ops@acme.example")
    assert parse_mail(raw).auto_reply == "delivery status report"


def test_our_own_message_id_coming_back_is_a_loop() -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "x@acme.example", "Hi", "<dp.1.ab@desk.example>"
    message.set_content("hello")
    assert "mail loop" in (parse_mail(message.as_bytes(), own_domains=OURS).auto_reply or "")


def test_outlook_reply_keeps_the_new_text_for_the_ai_and_everything_in_the_record() -> None:
    parsed = _corpus("outlook_reply.eml")
    assert parsed.clean_text == "The VPN still drops every ten minutes, even on the wired network."
    assert "Please try the wired network." in parsed.text and "Olga Olsen" in parsed.text
    assert parsed.ticket_number == 12
    assert parsed.thread_ids == ("dp.12.abc@desk.example", "vpn-0@acme.example")


def test_a_forwarded_chain_is_kept_whole_because_it_is_the_request() -> None:
    parsed = _corpus("forwarded_chain.eml")
    assert "Sam Smith starts on 1 December" in parsed.clean_text


def test_html_only_mail_becomes_readable_text_without_scripts_or_quotes() -> None:
    parsed = _corpus("html_only.eml")
    assert parsed.body_from_html
    assert parsed.clean_text == ("Hi team,\n\nOutlook asks for my password every ten minutes.\n\n"
                                 "- Windows 11\n\n- Office 365")
    assert "alert" not in parsed.text and "color" not in parsed.text


def test_unknown_charsets_are_decoded_best_effort() -> None:
    parsed = _corpus("unknown_charset.eml")
    assert (parsed.subject, parsed.from_name) == ("Drücker geht nicht", "Krämer")
    assert parsed.clean_text.endswith("leere Seiten. Grüße")


def test_undeclared_8bit_headers_and_a_missing_message_id_are_handled() -> None:
    raw = (CORPUS / "no_message_id_8bit_headers.eml").read_bytes()
    parsed = parse_mail(raw)
    assert parsed.subject == "Können Sie mir helfen? Drucker überall kaputt"
    assert parsed.message_id_synthesised and parse_mail(raw).message_id == parsed.message_id
    assert parsed.date is None


def test_broken_mime_keeps_the_readable_part_and_names_the_defects() -> None:
    parsed = _corpus("malformed_mime.eml")
    assert parsed.clean_text == "My laptop will not boot, the screen stays black.\nIt started after the update."
    assert [a.filename for a in parsed.attachments] == ["log.pdf"]
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_inline_images_are_attachments_and_the_text_part_wins_over_html() -> None:
    parsed = _corpus("inline_image.eml")
    assert parsed.clean_text == "See the error in the screenshot."
    assert [(a.content_type, a.inline, a.skipped) for a in parsed.attachments] == [("image/png", True, False)]


def test_attachments_over_the_limit_are_recorded_as_skipped() -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "big@acme.example", "Huge log"
    message.set_content("Log attached.")
    message.add_attachment(b"x" * (20 * 1024 * 1024), maintype="application", subtype="octet-stream",
                           filename="huge.log")
    message.add_attachment(b"small", maintype="text", subtype="plain", filename="small.txt")
    parsed = parse_mail(message.as_bytes(), max_attachment_bytes=1024 * 1024)
    assert [(a.filename, a.size, a.skipped) for a in parsed.attachments] == [
        ("huge.log", 20 * 1024 * 1024, True), ("small.txt", 5, False)]
    assert parsed.clean_text == "Log attached."


@pytest.mark.parametrize(("text", "expected"), [
    ("Thanks, fixed.\n\n-- \nJane Doe\nAcme Ltd", "Thanks, fixed."),
    ("It works.\n\nBest regards,\nJane", "It works."),
    ("Still broken.\n\nOn Tue, 24 Nov 2026 at 10:00, Desk <d@x> wrote:\n> did you restart?", "Still broken."),
    ("Neu.\n\nAm 24.11.2026 um 10:00 schrieb Desk <d@x>:\n> alt", "Neu."),
    ("New.\n-----Original Message-----\nFrom: x", "New."),
    ("> only a quote", "> only a quote"),
    ("Line one\n> quoted inline\nLine two", "Line one\nLine two"),
])
def test_quotes_and_signatures_are_stripped_for_the_ai(text: str, expected: str) -> None:
    assert strip_reply(text) == expected


def test_ticket_tags_and_message_ids_are_extracted() -> None:
    assert ticket_number("Re: [dp-42] Printer") == 42 and ticket_number("DP-42 without brackets") is None
    assert message_ids("<a@b> junk <c@d>\r\n <a@b>") == ("a@b", "c@d")
    assert message_ids("bare@id.example") == ("bare@id.example",)


def test_decoding_never_fails() -> None:
    assert decode_bytes(b"caf\xe9", "no-such-charset") == "café"
    assert decode_bytes("Grüße".encode("utf-16"), "utf-16") == "Grüße"
    assert html_to_text("<p>a<br>b</p><!bogus><![CDATA[x").startswith("a\nb")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_parser_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    parsed = parse_mail(raw)
    assert "\x00" not in parsed.text + parsed.subject
    parsed.text.encode("utf-8")


_HEADER_NAMES = st.sampled_from(["From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
                                 "Content-Transfer-Encoding", "Auto-Submitted", "Date", "To"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_HEADER_NAMES, st.text(max_size=80)), max_size=12),
       st.text(max_size=500), st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_parser_never_raises_on_hostile_headers_and_bodies(headers: list[tuple[str, str]], body: str,
                                                           encoding: str) -> None:
    lines = [f"{name}: {value}".replace("\r", " ").replace("\n", " ") for name, value in headers]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body.encode(encoding, "replace")
    parsed = parse_mail(raw)
    assert len(parsed.message_id) <= 255
    (parsed.subject + parsed.from_address + parsed.clean_text).encode("utf-8")


@pytest.mark.parametrize(("headers", "reason"), [
    ("X-MS-Exchange-Organization-AutoReply: yes", "x-ms-exchange-organization-autoreply header"),
    ("X-Auto-Response-Suppress: DR, OOF, AutoReply", "X-Auto-Response-Suppress: DR, OOF, AutoReply"),
    ("X-Apple-Action: VACATION", "x-apple-action header"),
    ("X-Autoreply: yes", "x-autoreply header"),
    ("Precedence: junk", "Precedence: junk"),
])
def test_vendor_auto_reply_headers_without_auto_submitted_are_recognised(headers: str, reason: str) -> None:
    raw = f"From: a@b.example\r\nMessage-ID: <v@b.example>\r\n{headers}\r\n\r\nAway.\r\n".encode()
    assert parse_mail(raw).auto_reply == reason


@pytest.mark.parametrize("sender", ["noreply@x.example", "no-reply@x.example", "do_not_reply@x.example",
                                    "DoNotReply+alerts@x.example"])
def test_no_reply_senders_are_never_acknowledged(sender: str) -> None:
    raw = f"From: {sender}\r\nMessage-ID: <n@x.example>\r\n\r\nDisk full.\r\n".encode()
    parsed = parse_mail(raw)
    assert (parsed.auto_reply, parsed.no_acknowledgement) == (None, f"no-reply sender {sender.lower()}")


def test_a_forward_by_an_exchange_inbox_rule_is_a_persons_mail() -> None:
    raw = (b"From: jane@acme.example\r\nMessage-ID: <f@acme.example>\r\n"
           b"X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n\r\nPlease help.\r\n")
    assert parse_mail(raw).auto_reply is None
