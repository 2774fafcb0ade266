"""Raw RFC 5322 bytes → `ParsedMail`, without ever raising on what senders actually send.

The stdlib parser (policy.default) does the MIME work; every header read falls back to the raw value
decoded by hand when the modern header classes reject it, and every body part is decoded with
`text.decode_bytes`, which cannot fail. What could not be understood is listed in `defects`.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from deskpilot.channels.email.autoreply import machine_sender, no_acknowledgement
from deskpilot.channels.email.repair import repair
from deskpilot.channels.email.text import decode_bytes, html_to_text, strip_reply

MAX_MESSAGE_ID = 250
_ANGLE_ID = re.compile(r"<([^<>\s]{1,998})>")
_TICKET_TAG = re.compile(r"\[DP-(\d{1,9})\]", re.IGNORECASE)
_SMUGGLED_BYTES = re.compile("[\udc80-\udcff]")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment or inline image; `content` is None when it was over the size limit."""

    filename: str
    content_type: str
    size: int
    inline: bool
    sha256: str
    content: bytes | None = field(repr=False, default=None)

    @property
    def skipped(self) -> bool:
        return self.content is None


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """What the desk needs from one mail. `text` is the full body; `clean_text` is what the AI reads."""

    message_id: str
    message_id_synthesised: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None
    text: str
    clean_text: str
    body_from_html: bool
    attachments: tuple[Attachment, ...]
    ticket_number: int | None
    auto_reply: str | None
    no_acknowledgement: str | None
    raw_sha256: str
    body_sha256: str
    defects: tuple[str, ...]
    thread_index_root: str | None = None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this mail says it follows, nearest first."""
        seen: dict[str, None] = dict.fromkeys(self.in_reply_to + tuple(reversed(self.references)))
        return tuple(seen)


def thread_index_root(value: str) -> str | None:
    """The conversation Outlook's `Thread-Index` names: its first 22 bytes (a FILETIME and a GUID), in hex.
    Every reply in an Outlook conversation keeps them and appends 5 bytes; None when absent or malformed."""
    try:
        decoded = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded[:22].hex() if len(decoded) >= 22 else None


def normalise_message_id(value: str) -> str:
    """A Message-ID without angle brackets; over-long ones are replaced by a stable hash."""
    value = _storable(value).strip().strip("<>").strip()
    if len(value) > MAX_MESSAGE_ID:
        return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest() + "@long.invalid"
    return value


def message_ids(header: str) -> tuple[str, ...]:
    """The ids in a Message-ID / In-Reply-To / References value, in order, without duplicates."""
    found = _ANGLE_ID.findall(header) or header.split()
    ids = (normalise_message_id(v) for v in found)
    return tuple(dict.fromkeys(i for i in ids if i and "@" in i))


def _storable(text: str) -> str:
    """Text every database can store: raw 8-bit bytes the parser smuggled in as surrogates are decoded
    (UTF-8, else cp1252), and NUL characters, which PostgreSQL refuses, are dropped."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return decode_bytes(data, None).replace("\x00", "")


def ticket_number(subject: str) -> int | None:
    """The ticket a subject names with a `[DP-123]` tag, if any."""
    match = _TICKET_TAG.search(subject)
    return int(match.group(1)) if match else None


def _decode_raw_header(value: str) -> str:
    parts: list[str] = []
    try:
        for chunk, charset in decode_header(value):
            parts.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    except (ValueError, LookupError, AssertionError):
        return value
    return "".join(parts)


def _headers(msg: Message, name: str) -> list[str]:
    """Every value of header `name` as text; a value the modern parser rejects is decoded by hand."""
    values: list[str] = []
    for key, raw in msg.raw_items():
        if key.lower() != name.lower():
            continue
        if _SMUGGLED_BYTES.search(raw):
            # Undeclared 8-bit bytes: decode them ourselves rather than get replacement characters.
            values.append(_decode_raw_header(_storable(raw)))
            continue
        try:
            value = str(msg.policy.header_fetch_parse(key, raw))
        except Exception:  # noqa: BLE001 - the header classes raise many types on hostile input
            value = _decode_raw_header(str(raw))
        if "\ufffd" in value and "=?" in raw:
            # An encoded word in a charset the stdlib does not know: our decoder guesses better.
            value = _decode_raw_header(str(raw))
        values.append(value)
    return [_storable(" ".join(v.split())) for v in values]


def _header(msg: Message, name: str) -> str:
    values = _headers(msg, name)
    return values[0] if values else ""


def _raw_headers(msg: Message, name: str) -> list[str]:
    """Header values straight from the parsed lines (used for address lists, which the modern parser
    may refuse), decoded by hand."""
    return [_decode_raw_header(value) for key, value in msg.raw_items() if key.lower() == name.lower()]


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    pairs = getaddresses(_raw_headers(msg, name))
    return [(_storable(" ".join(n.split())), _storable(a.strip().lower())) for n, a in pairs if "@" in a]


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    delivery_report: bool = False


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, LookupError, AttributeError):
        return "unnamed"
    return _decode_raw_header(name) if name else None


def _attachment(part: Message, data: bytes, filename: str | None, max_bytes: int) -> Attachment:
    content_type = part.get_content_type()
    extension = content_type.split("/")[-1][:10] if "/" in content_type else "bin"
    return Attachment(
        filename=_storable(filename or f"unnamed.{extension}")[:255], content_type=_storable(content_type)[:120],
        size=len(data),
        inline=part.get_content_disposition() == "inline", sha256=hashlib.sha256(data).hexdigest(),
        content=data if len(data) <= max_bytes else None,
    )


def _walk_body(msg: Message, max_attachment_bytes: int) -> _Body:
    body = _Body()
    for part in msg.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            body.delivery_report = True
            continue
        if part.get_content_maintype() == "multipart" and not part.is_multipart():
            # Declared multipart without its boundary lines: a client shows the body as plain text.
            body.plain.append(decode_bytes(_payload(part), None))
            continue
        if part.is_multipart() or content_type.startswith("message/"):
            continue
        filename = _filename(part)
        data = _payload(part)
        disposition = part.get_content_disposition()
        is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename
        if not is_body_text:
            body.attachments.append(_attachment(part, data, filename, max_attachment_bytes))
            continue
        charset = part.get_param("charset")
        text = decode_bytes(data, charset if isinstance(charset, str) else None)
        (body.plain if content_type == "text/plain" else body.html).append(text)
    return body


def _auto_reply(msg: Message, from_address: str, message_id: str, own_domains: frozenset[str],
                body: _Body, envelope_sender: str | None) -> str | None:
    reason = machine_sender(header=lambda name: _header(msg, name), names=frozenset(k.lower() for k in msg),
                            from_address=from_address, envelope_sender=envelope_sender,
                            delivery_report=body.delivery_report, content_type=msg.get_content_type())
    if reason is not None:
        return reason
    domain = message_id.rsplit("@", 1)[-1].lower()
    if domain in own_domains:
        return f"our own Message-ID domain ({domain}): a mail loop"
    return None


def body_digest(raw: bytes) -> str:
    """SHA-256 of the body as sent, line endings and trailing space normalised: the same mail redelivered
    (new Received headers, CRLF or LF) has the same digest, a different mail under the same id does not."""
    end = _HEADER_END.search(raw)
    body = raw[end.end():] if end else b""
    return hashlib.sha256(body.replace(b"\r\n", b"\n").rstrip()).hexdigest()


def _date(msg: Message) -> datetime | None:
    try:
        value = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def parse_mail(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024,
               own_domains: frozenset[str] = frozenset(), envelope_sender: str | None = None) -> ParsedMail:
    """Parse one mail. Never raises for bad input: unknown charsets, broken MIME and missing headers are
    decoded best-effort and named in `defects`. `own_domains` are our outgoing Message-ID domains;
    `envelope_sender` is the SMTP `MAIL FROM` ("" for `<>`), None when the mail was not received by SMTP."""
    digest = hashlib.sha256(raw).hexdigest()
    readable = repair(raw)
    msg = email.message_from_bytes(readable, policy=policy.default)
    declared = message_ids(_header(msg, "Message-ID"))
    message_id = declared[0] if declared else f"{digest[:40]}@synthesised.invalid"
    body = _walk_body(msg, max_attachment_bytes)
    text = _storable("\n\n".join(t.strip() for t in body.plain if t.strip()))
    from_html = not text and bool(body.html)
    if from_html:
        text = _storable("\n\n".join(html_to_text(h) for h in body.html))
    subject = _header(msg, "Subject")
    senders = _addresses(msg, "From") or _addresses(msg, "Sender") or _addresses(msg, "Return-Path")
    from_name, from_address = senders[0] if senders else ("", "")
    defects = [type(d).__name__ for part in msg.walk() for d in part.defects]
    return ParsedMail(
        message_id=message_id, message_id_synthesised=not declared,
        in_reply_to=message_ids(" ".join(_headers(msg, "In-Reply-To"))),
        references=message_ids(" ".join(_headers(msg, "References"))),
        subject=subject, from_address=from_address, from_name=from_name,
        to=tuple(a for _, a in _addresses(msg, "To")), cc=tuple(a for _, a in _addresses(msg, "Cc")),
        date=_date(msg), text=text, clean_text=strip_reply(text, subject=subject), body_from_html=from_html,
        attachments=tuple(body.attachments), ticket_number=ticket_number(subject),
        auto_reply=_auto_reply(msg, from_address, message_id, own_domains, body, envelope_sender),
        no_acknowledgement=no_acknowledgement(header=lambda name: _header(msg, name), from_address=from_address,
                                              envelope_sender=envelope_sender),
        raw_sha256=digest, body_sha256=body_digest(readable), defects=tuple(dict.fromkeys(defects)),
        thread_index_root=thread_index_root(_header(msg, "Thread-Index")),
    )
