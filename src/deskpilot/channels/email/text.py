"""Pure text handling for mail bodies: decoding any charset, HTML to text, quotes and signatures.

The desk keeps every byte of a mail; these functions only decide what the AI reads. A reply's quoted
history and the sender's signature are noise for triage and retrieval, so `strip_reply` cuts them, but a
forwarded chain is the content itself and is kept whole.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from html.parser import HTMLParser

# Charsets mail clients announce that Python spells differently, or that are wrong in a known way.
_CHARSET_ALIASES = {
    "unknown-8bit": "latin-1",
    "x-unknown": "latin-1",
    "ansi_x3.4-1968": "ascii",
    "x-user-defined": "latin-1",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode `data` in its announced charset; a missing, unknown or wrong one never raises.

    Order: the announced charset (strictly), UTF-8 (strictly), cp1252 (what "latin-1" mail usually
    is), and finally the announced or UTF-8 codec with replacement characters.
    """
    names: list[str] = []
    if charset:
        name = charset.strip().strip('"').lower()
        name = _CHARSET_ALIASES.get(name, name)
        with contextlib.suppress(LookupError):
            names.append(codecs.lookup(name).name)
    for fallback in ("utf-8", "cp1252"):
        if fallback not in names:
            names.append(fallback)
    for name in names:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(names[0], errors="replace")


_BLOCK_TAGS = frozenset({
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "hr", "section", "article", "header", "footer", "dd", "dt",
})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag == "blockquote":
            self._quote_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._quote_depth:
            # Keep quoted HTML recognisable as a quote, the way plain-text clients mark it.
            data = "\n".join("> " + line for line in data.split("\n") if line.strip())
        self.parts.append(data)


_SPACES = re.compile(r"[ \t\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n\s*\n(\s*\n)+")


def html_to_text(html: str) -> str:
    """Readable text from HTML: block elements become line breaks, scripts and styles vanish."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:
        # html.parser asserts on a few malformed declarations; keep what was extracted so far.
        pass
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(extractor.parts).split("\n"))
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


# An attribution line; clients wrap long ones, so the name or address may run onto a second line.
_ATTRIBUTION = r"[^\n]{1,300}?(?:\n[^\n]{0,200}?)?"
_ATTRIBUTION_TAIL = r"[^\n]{0,120}?(?:\n[^\n]{0,200}?)?"  # languages that name the sender after the verb
_REPLY_HEADER = re.compile(
    r"^(?:"
    rf"On\s{_ATTRIBUTION}\swrote\s*:\s*$"  # Gmail, Apple Mail, Thunderbird
    rf"|Am\s{_ATTRIBUTION}\sschrieb{_ATTRIBUTION_TAIL}:\s*$"  # German
    rf"|Le\s{_ATTRIBUTION}\sa\s[ée]crit\s*:\s*$"  # French
    rf"|El\s{_ATTRIBUTION}\sescribi[óo]\s*:\s*$"  # Spanish
    rf"|Op\s{_ATTRIBUTION}\sschreef{_ATTRIBUTION_TAIL}:\s*$"  # Dutch
    rf"|Il\s{_ATTRIBUTION}\sha\sscritto\s*:\s*$"  # Italian
    r"|-{2,}\s*(?:Original Message|Urspr[üu]ngliche Nachricht|Message d'origine|Mensaje original"
    r"|Oorspronkelijk bericht)\s*-{2,}\s*$"
    r"|_{10,}\s*$"  # Outlook's rule above the quoted header block
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook quotes with a header block: "From: ...", then "Sent: ..." (or "Date:") within a few lines, in
# the client's language (English, German, French, Spanish, Dutch, Italian).
_OUTLOOK_BLOCK = re.compile(r"^\*?(?:From|Von|De|Van|Da)\s*:\*?\s.+\n(?:.*\n){0,3}?\*?"
                            r"(?:Sent|Date|Gesendet|Datum|Envoy[ée]|Enviado|Fecha|Verzonden|Inviato)\s*:",
                            re.IGNORECASE | re.MULTILINE)
_FORWARD_MARKER = re.compile(r"^-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Begin forwarded message)"
                             r"|^Begin forwarded message:", re.IGNORECASE | re.MULTILINE)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr)\s*:", re.IGNORECASE)
_SIGN_OFFS = re.compile(
    r"^(?:best(?: regards| wishes)?|kind regards|regards|many thanks|thanks(?: again| in advance)?|thank you"
    r"|cheers|sincerely|yours(?: truly| sincerely)?|mit freundlichen gr[üu](?:ß|ss)en|viele gr[üu](?:ß|ss)e"
    r"|cordialement|sent from my \w+.*)[,.!]?\s*$",
    re.IGNORECASE,
)
# A sign-off counts only near the end; further up it is likely part of the message.
_SIGNATURE_TAIL_LINES = 8


def is_forward(subject: str, body: str) -> bool:
    """Whether the mail forwards another one (its quoted part is then the point, not noise)."""
    return bool(_FORWARD_SUBJECT.match(subject) or _FORWARD_MARKER.search(body))


def _cut_quoted_history(text: str) -> str:
    cuts = [m.start() for m in (_REPLY_HEADER.search(text), _OUTLOOK_BLOCK.search(text)) if m]
    if cuts:
        text = text[: min(cuts)]
    kept = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(kept)


def _cut_signature(text: str) -> str:
    lines = text.rstrip().split("\n")
    for index, line in enumerate(lines):
        if line in ("-- ", "--", "__"):
            return "\n".join(lines[:index])
    start = max(0, len(lines) - _SIGNATURE_TAIL_LINES)
    for index in range(start, len(lines)):
        if index > 0 and _SIGN_OFFS.match(lines[index].strip()):
            return "\n".join(lines[:index])
    return text


def strip_reply(text: str, *, subject: str = "") -> str:
    """The new part of a mail: quoted history and signature removed; forwards are kept whole.

    If stripping would leave nothing (a mail that is only a quote), the full text is returned so that
    the AI never reads an empty message.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_forward(subject, text):
        return text.strip()
    stripped = _cut_signature(_cut_quoted_history(text)).strip()
    return stripped or text.strip()
