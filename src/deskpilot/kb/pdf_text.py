"""PDF → Markdown-like text that keeps a manual's structure: headings, numbered steps, paragraphs.

pypdf reports every text fragment with its font, size and position. The size most of the text is set
in is the body size; a line set larger is a heading (the larger, the higher its level), and a short
bold line at body size is the lowest heading level. Lines close below each other join into a paragraph
(a hyphen at a line end is joined away before a lower-case word), a numbered or bulleted line opens a
list item and an indented line after it continues the item. Page numbers and a header or footer that
repeats on most pages are dropped. Tables in a PDF are only positioned text: their cells come out as
lines. A PDF without a text layer (a scan) is refused: there is no OCR here.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from deskpilot.errors import InvalidInput

MAX_PAGES = 1_000
_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*•●▪◦])\s+")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_HEADING_RATIO = 1.15


@dataclass
class _Line:
    page: int
    x: float
    y: float
    size: float
    bold: bool
    text: str


def _fragments(reader: PdfReader) -> list[_Line]:
    """Every non-blank text fragment with its page, position, effective size and boldness."""
    found: list[_Line] = []
    for number, page in enumerate(reader.pages):
        def visit(text: str, cm: list[float], tm: list[float], font: dict[str, Any] | None, size: float,
                  page_number: int = number) -> None:
            for part in text.split("\n"):
                if not part.strip():
                    continue
                scale = (math.hypot(tm[2], tm[3]) or 1.0) * (math.hypot(cm[2], cm[3]) or 1.0)
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                bold = "bold" in str((font or {}).get("/BaseFont", "")).lower()
                found.append(_Line(page_number, x, y, round(size * scale * 2) / 2, bold, part))
        page.extract_text(visitor_text=visit)
    return found


def _lines(fragments: list[_Line]) -> list[_Line]:
    """Fragments on the same baseline of a page merged into one line (largest size wins)."""
    lines: list[_Line] = []
    for fragment in fragments:
        last = lines[-1] if lines else None
        if last is not None and last.page == fragment.page and abs(last.y - fragment.y) < 0.5 * fragment.size:
            joiner = "" if last.text.endswith(" ") or fragment.text.startswith(" ") else " "
            last.text = f"{last.text}{joiner}{fragment.text}"
            last.size, last.bold = max(last.size, fragment.size), last.bold and fragment.bold
            last.x = min(last.x, fragment.x)
        else:
            lines.append(_Line(fragment.page, fragment.x, fragment.y, fragment.size, fragment.bold,
                               fragment.text))
    for line in lines:
        line.text = re.sub(r"\s+", " ", line.text).strip()
    return [line for line in lines if line.text]


def _without_furniture(lines: list[_Line], pages: int) -> list[_Line]:
    """Lines less page numbers and, from three pages on, the running header or footer (the same text on
    more than half of the pages)."""
    repeated: set[str] = set()
    if pages >= 3:
        per_text = Counter(text for _, text in {(line.page, line.text) for line in lines})
        repeated = {text for text, count in per_text.items() if count > pages / 2}
    return [line for line in lines if not _PAGE_NUMBER.match(line.text) and line.text not in repeated]


def _heading_levels(lines: list[_Line]) -> tuple[float, dict[float, int]]:
    """The body size and the heading level of each larger size (largest first)."""
    chars: Counter[float] = Counter()
    for line in lines:
        chars[line.size] += len(line.text)
    body = chars.most_common(1)[0][0]
    larger = sorted({line.size for line in lines if line.size >= body * _HEADING_RATIO}, reverse=True)
    return body, {size: min(level, 5) for level, size in enumerate(larger, start=1)}


def _is_bold_heading(line: _Line) -> bool:
    return (line.bold and len(line.text.split()) <= 10 and not line.text.endswith((".", ":", ","))
            and not _ITEM.match(line.text))


def _markdown(lines: list[_Line]) -> str:
    body, levels = _heading_levels(lines)
    bold_level = min(len(levels) + 1, 6)
    blocks: list[list[str]] = []
    previous: _Line | None = None
    item_x = 0.0
    for line in lines:
        level = levels.get(line.size) or (bold_level if line.size < body * _HEADING_RATIO and _is_bold_heading(line)
                                          else 0)
        if level:
            blocks.append(["#" * level + " " + line.text])
            previous = None
            continue
        if _ITEM.match(line.text):
            if not (blocks and blocks[-1] and _ITEM.match(blocks[-1][0]) and previous is not None):
                blocks.append([])
            blocks[-1].append(line.text)
            item_x = line.x
        elif previous is not None and _continues(previous, line):
            if _ITEM.match(blocks[-1][0]) and line.x <= item_x + 2:
                blocks.append([line.text])
            else:
                blocks[-1][-1] = _join(blocks[-1][-1], line.text)
        else:
            blocks.append([line.text])
        previous = line
    return "\n\n".join("\n".join(block) for block in blocks if block)


def _continues(previous: _Line, line: _Line) -> bool:
    """Whether `line` goes on with the paragraph (or list item) that `previous` ends."""
    if line.page != previous.page:
        return not previous.text.endswith((".", "!", "?", ":"))
    return 0 < previous.y - line.y <= 1.8 * max(line.size, previous.size)


def _join(text: str, more: str) -> str:
    if text.endswith("-") and more[:1].islower():
        return text[:-1] + more
    return f"{text} {more}"


def pdf_to_text(source: str, data: bytes) -> tuple[str, str]:
    """(title, text) of a PDF: the document title (or its first top-level heading) and Markdown-like text."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InvalidInput(f"{source}: the PDF is encrypted; import an unprotected copy.")
        pages = len(reader.pages)
        if pages > MAX_PAGES:
            raise InvalidInput(f"{source}: {pages} pages; a PDF may have at most {MAX_PAGES}. Split it.")
        lines = _without_furniture(_lines(_fragments(reader)), pages)
        metadata = reader.metadata
        meta_title = str(metadata.title or "").strip() if metadata is not None else ""
    # A damaged file can trip pypdf anywhere in its object tree (seen by mutating real PDFs: read and
    # limit errors, and attribute, key, type and index errors on objects of the wrong kind).
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise InvalidInput(f"{source}: not a readable PDF ({exc}).") from exc
    if not lines:
        raise InvalidInput(f"{source}: the PDF has no text layer (a scan?); there is no OCR, so nothing to import.")
    text = _markdown(lines)
    first = re.search(r"^# (.+)$", text, re.M)
    return meta_title or (first.group(1).strip() if first else ""), text
