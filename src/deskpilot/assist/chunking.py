"""Split an article into retrievable chunks without tearing headings or numbered steps apart.

Markdown-aware: `#` headings open sections (each chunk knows its heading path), a run of numbered or
bulleted items, or the rows of a pipe table, is one block together with the sentence that introduces
it, and blocks are packed into chunks of about `max_words`. A table too long for one chunk is cut
between rows and each part repeats the header. Text without Markdown structure falls back to
paragraphs, then sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*+•])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b\d[.)])(?<!\b\d\d[.)])\s+(?=[\"'(\[]?[A-Z0-9])")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_INLINE_STEP = re.compile(r"\s+(?=(?:Step\s+)?\d{1,2}[.)]\s+[A-Z])")


@dataclass(frozen=True)
class Chunk:
    """A passage of one article version; `chunk_id` is stable for (slug, version, position)."""

    slug: str
    version: int
    position: int
    heading_path: tuple[str, ...]
    text: str

    @property
    def chunk_id(self) -> str:
        return f"{self.slug}@v{self.version}#{self.position}"

    @property
    def citation(self) -> str:
        return f"[{self.slug} v{self.version}]"


@dataclass(frozen=True)
class _Block:
    heading_path: tuple[str, ...]
    text: str
    is_list: bool
    is_table: bool = False


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; a numbered step, list item or table row stays one unit."""
    units: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _HEADING.match(line) or _TABLE_RULE.match(line):
            continue
        if _LIST_ITEM.match(line) or _TABLE_ROW.match(line):
            units.append(line)
            continue
        for sentence in _SENTENCE_END.split(line):
            units.extend(part.strip() for part in _INLINE_STEP.split(sentence) if part.strip())
    return units


def _blocks(text: str) -> list[_Block]:
    """Paragraph and list blocks, each tagged with the headings above it."""
    path: list[tuple[int, str]] = []
    blocks: list[_Block] = []
    lines: list[str] = []
    in_list = in_table = False

    def flush() -> None:
        nonlocal lines, in_list, in_table
        if lines:
            headings = tuple(h for _, h in path)
            body = "\n".join(lines)
            structured = in_list or in_table
            previous = blocks[-1] if blocks else None
            if (structured and previous is not None and not (previous.is_list or previous.is_table)
                    and previous.text.rstrip().endswith(":")):
                body = f"{blocks.pop().text}\n{body}"
            blocks.append(_Block(headings, body, in_list, in_table))
        lines, in_list, in_table = [], False, False

    for raw in text.splitlines():
        line = raw.rstrip()
        heading = _HEADING.match(line)
        if in_table and not _TABLE_ROW.match(line):
            flush()
        if heading:
            flush()
            level = len(heading.group(1))
            path = [(lv, h) for lv, h in path if lv < level] + [(level, heading.group(2))]
        elif _TABLE_ROW.match(line):
            if lines and not in_table:
                flush()
            in_table = True
            lines.append(line.strip())
        elif not line.strip():
            if not in_list:
                flush()
        elif _LIST_ITEM.match(line):
            if lines and not in_list:
                flush()
            in_list = True
            lines.append(line.strip())
        elif in_list and raw[:1].isspace():
            lines[-1] = f"{lines[-1]} {line.strip()}"
        else:
            if in_list:
                flush()
            lines.append(line.strip())
    flush()
    return blocks


def _split_long(block: _Block, max_words: int) -> list[_Block]:
    """A block longer than twice the budget is cut at item, row (each part keeps the table's header) or
    sentence boundaries."""
    if len(block.text.split()) <= 2 * max_words:
        return [block]
    units = block.text.split("\n") if block.is_list or block.is_table else split_sentences(block.text)
    header: list[str] = []
    if block.is_table:
        rule = next((i for i, unit in enumerate(units) if _TABLE_RULE.match(unit)), None)
        if rule is not None:
            header, units = units[: rule + 1], units[rule + 1 :]
    parts: list[_Block] = []
    current: list[str] = list(header)
    for unit in units:
        if len(current) > len(header) and len(" ".join(current + [unit]).split()) > max_words:
            parts.append(_Block(block.heading_path, "\n".join(current), block.is_list, block.is_table))
            current = list(header)
        current.append(unit)
    if len(current) > len(header):
        parts.append(_Block(block.heading_path, "\n".join(current), block.is_list, block.is_table))
    return parts


def chunk_article(slug: str, version: int, text: str, *, max_words: int = 180) -> list[Chunk]:
    """Chunks of one article version, in reading order; an empty article has no chunks."""
    blocks = [part for block in _blocks(text) for part in _split_long(block, max_words)]
    chunks: list[Chunk] = []
    current: list[_Block] = []
    words = 0
    for block in blocks:
        size = len(block.text.split())
        if current and (block.heading_path != current[0].heading_path or words + size > max_words):
            chunks.append(_chunk(slug, version, len(chunks), current))
            current, words = [], 0
        current.append(block)
        words += size
    if current:
        chunks.append(_chunk(slug, version, len(chunks), current))
    return chunks


def _chunk(slug: str, version: int, position: int, blocks: list[_Block]) -> Chunk:
    text = "\n\n".join(b.text for b in blocks)
    return Chunk(slug=slug, version=version, position=position, heading_path=blocks[0].heading_path, text=text)
