"""Which mails a machine sent: auto-replies, bounces and bulk mail open no ticket, and no-reply or list
senders never get an acknowledgement (answering a machine starts a mail loop or mails nobody).

Pure functions over a parsed header set. Besides RFC 3834 (`Auto-Submitted`) the vendors' own marks are
read, because several vacation responders (iCloud, older Exchange) do not set it, and the envelope
sender is used when the mail came over SMTP: RFC 5321 sends bounces and auto-replies from `<>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
# Not `X-MS-Exchange-Generated-Message-Source`: Exchange sets it on inbox-rule forwards too, which are
# people's mail.
_AUTOREPLY_FLAGS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-mailautoreply", "x-apple-action")
# Exchange: `X-Auto-Response-Suppress` on a mail it generated itself (All, OOF, AutoReply ...).
_EXCHANGE_SUPPRESS = re.compile(r"\b(?:all|oof|autoreply)\b", re.IGNORECASE)
_EXCHANGE_AUTOREPLY = re.compile(r"^x-ms-exchange-[\w-]*auto-?reply[\w-]*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]")
_NO_REPLY_PREFIXES = ("noreply", "donotreply", "dontreply")

HeaderValues = Callable[[str], str]


def machine_sender(*, header: HeaderValues, names: frozenset[str], from_address: str,
                   envelope_sender: str | None, delivery_report: bool, content_type: str) -> str | None:
    """Why the mail is an auto-reply, bounce or bulk mail that must open no ticket, or None.

    `header(name)` gives a header's first value ("" when absent); `names` are every header name present,
    lower-cased; `envelope_sender` is the SMTP `MAIL FROM` ("" for `<>`), None when not known (IMAP).
    """
    auto_submitted = header("Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header("Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for flag in _AUTOREPLY_FLAGS:
        if flag in names:
            return f"{flag} header"
    exchange = next((name for name in sorted(names) if _EXCHANGE_AUTOREPLY.match(name)), None)
    if exchange is not None:
        return f"{exchange} header"
    suppress = header("X-Auto-Response-Suppress")
    if _EXCHANGE_SUPPRESS.search(suppress):
        return f"X-Auto-Response-Suppress: {suppress}"
    if from_address.split("@", 1)[0] in _BOUNCE_SENDERS:
        return f"bounce sender {from_address}"
    if delivery_report or content_type == "multipart/report":
        return "delivery status report"
    if envelope_sender == "":
        return "empty envelope sender (MAIL FROM:<>): a bounce or auto-reply"
    if header("Return-Path").strip() == "<>":
        return "empty Return-Path (bounce)"
    return None


def no_acknowledgement(*, header: HeaderValues, from_address: str, envelope_sender: str | None) -> str | None:
    """Why a mail that does open a ticket must not be acknowledged (a no-reply or mailing-list sender)."""
    for address in (from_address, envelope_sender or ""):
        local = _SEPARATORS.sub("", address.split("@", 1)[0].split("+", 1)[0].lower())
        if local.startswith(_NO_REPLY_PREFIXES):
            return f"no-reply sender {address}"
    list_id = header("List-Id")
    if list_id:
        return f"mailing list {list_id}"
    return None
