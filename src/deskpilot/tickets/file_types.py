"""What a file really is, from its first bytes, and how it may be served. Pure functions.

The declared Content-Type of an upload or a mail part is the sender's claim; the bytes decide. Only a few
passive types (raster images, PDF, plain text) are ever shown in the browser; everything else downloads as
an opaque file, so an HTML or SVG "screenshot" can never run script on the desk's origin.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import quote

OPAQUE = "application/octet-stream"
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/x-ole-storage"),
    (b"MZ", 0, "application/x-msdownload"),
    (b"\x7fELF", 0, "application/x-executable"),
    (b"\x1f\x8b", 0, "application/gzip"),
)
# Shown inline (a screenshot in the console, a PDF in a tab); nothing that can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"})
# Programs and scripts a desk should never take in or hand out (by extension or by content).
BLOCKED_EXTENSIONS = frozenset({"exe", "com", "scr", "bat", "cmd", "msi", "msp", "ps1", "vbs", "vbe", "js",
                                "jse", "wsf", "wsh", "hta", "cpl", "jar", "lnk", "reg", "pif", "dll", "sys"})
BLOCKED_TYPES = frozenset({"application/x-msdownload", "application/x-executable"})
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"]+")


def sniff(content: bytes) -> str:
    """The type the bytes show: a known signature, else text/plain for UTF-8 text, else opaque."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for magic, offset, kind in _MAGIC:
        if content[offset:offset + len(magic)] == magic:
            return kind
    head = content[:4096]
    if b"\x00" in head:
        return OPAQUE
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 4 KiB boundary
            return OPAQUE
        text = head[:exc.start].decode("utf-8")
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html", "<svg", "<?xml", "<script")):
        return "text/html"
    return "text/plain"


def clean_filename(name: str | None, *, fallback: str = "attachment") -> str:
    """A file name safe to store and show: no path, no control characters or quotes, at most 255 characters."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    return (base or fallback)[:255]


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def blocked_reason(filename: str, sniffed: str) -> str | None:
    """Why this file may not be attached, or None."""
    if extension(filename) in BLOCKED_EXTENSIONS:
        return f"Files of type .{extension(filename)} are not accepted: programs and scripts can carry malware."
    if sniffed in BLOCKED_TYPES:
        return "This file is a program; programs are not accepted as attachments."
    return None


def served_type(sniffed: str) -> str:
    """The Content-Type a download is served with: the sniffed type when passive, else opaque."""
    return sniffed if sniffed in INLINE_TYPES else OPAQUE


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 header: an ASCII fallback name plus the UTF-8 name, so no name can break the header."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    ascii_name = _UNSAFE_NAME.sub("_", ascii_name) or "attachment"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
