"""Raw-byte repairs a mail client makes before it shows a mail, done before the MIME parser sees it.

Pure functions on bytes. Each one fixes a way real mail is broken that would otherwise hide the sender
or put raw MIME in front of the reader; a mail that is not broken comes back unchanged.
"""

from __future__ import annotations

import re

_BOM = b"\xef\xbb\xbf"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE_LINE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE)
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)


def strip_leading_noise(raw: bytes) -> bytes:
    """Drop byte-order marks and blank lines before the first header (editors and some gateways add
    them); left in place, they make the parser read `From:` as part of the body."""
    start = raw
    while True:
        trimmed = start.removeprefix(_BOM).lstrip(b"\r\n\t ")
        if trimmed == start:
            return start
        start = trimmed


def _header_fields(block: bytes) -> list[bytes]:
    """The header block split into fields, each with its folded continuation lines."""
    fields: list[bytes] = []
    for line in block.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def _fits_the_body(field: bytes, body: bytes) -> bool:
    match = _BOUNDARY.search(field)
    if match is None:
        return False
    boundary = match.group(1) or match.group(2)
    return b"--" + boundary in body


def one_content_type(raw: bytes) -> bytes:
    """Keep a single top-level Content-Type when a mail declares several: the multipart one whose
    boundary really occurs in the body, else the last one (what clients that re-add headers meant)."""
    end = _HEADER_END.search(raw)
    if end is None:
        return raw
    block, body = raw[: end.start()], raw[end.start():]
    fields = [f.rstrip(b"\r\n") for f in _header_fields(block)]
    declared = [f for f in fields if _CONTENT_TYPE_LINE.match(f)]
    if len(declared) < 2:
        return raw
    kept = next((f for f in declared if _fits_the_body(f, body)), declared[-1])
    newline = b"\r\n" if b"\r\n" in block else b"\n"
    return newline.join(f for f in fields if f is kept or not _CONTENT_TYPE_LINE.match(f)) + body


def repair(raw: bytes) -> bytes:
    """Every raw repair, in order."""
    return one_content_type(strip_leading_noise(raw))
