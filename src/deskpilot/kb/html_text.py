"""HTML → Markdown-ish text that keeps what retrieval and the chunker need: headings, lists, tables, paragraphs.

Only text survives: tags, attributes (event handlers, links, styles) and the content of script, style and
other non-content elements are dropped, so an imported page can carry nothing executable. Tables become
Markdown pipe tables (a header separator after the first row, `|` in a cell escaped).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "section", "article", "br", "pre", "blockquote", "dl", "dt", "dd", "caption"}
_SKIP = {"script", "style", "head", "nav", "footer", "noscript", "template", "iframe", "object", "svg", "button",
         "form", "select", "textarea"}
_ROW = re.compile(r"^\s*\|.*\|\s*$")
_ITEM = re.compile(r"^\s*(?:\d+\.|-)\s")
_SPACES = re.compile(r"[ \t\r\f\v]+")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.title = ""
        self.first_h1 = ""
        self._skip_depth = 0
        self._in_title = False
        self._heading: int | None = None
        self._lists: list[list[int]] = []  # one entry per open list: [next number] for <ol>, [] for <ul>
        self._indent = ""
        self._rows: list[list[str]] | None = None  # the rows of the open table
        self._cell: list[str] | None = None

    def _break(self) -> None:
        text = _SPACES.sub(" ", "".join(self.current)).strip()
        self.current = []
        if text:
            self.lines.append(self._indent + text)
        self._indent = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del attrs
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag == "table":
            self._break()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._break()
            self._heading = int(tag[1])
            self.current.append("#" * self._heading + " ")
        elif tag in ("ul", "ol"):
            self._break()
            if not self._lists:
                self.lines.append("")  # a new top-level list is its own block
            self._lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self._break()
            self._indent = "   " * max(len(self._lists) - 1, 0)
            numbering = self._lists[-1] if self._lists else []
            if numbering:
                self.current.append(f"{numbering[0]}. ")
                numbering[0] += 1
            else:
                self.current.append("- ")
        elif tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
        elif tag in ("td", "th") and self._rows is not None and self._cell is not None:
            if not self._rows:
                self._rows.append([])
            cell = _SPACES.sub(" ", "".join(self._cell)).strip().replace("|", "\\|")
            self._rows[-1].append(cell)
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self._table(self._rows)
            self._rows, self._cell = None, None
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag):
            if self._heading == 1 and not self.first_h1:
                self.first_h1 = "".join(self.current).lstrip("# ").strip()
            self._heading = None
            self._break()
        elif tag in ("ul", "ol"):
            self._break()
            if self._lists:
                self._lists.pop()
        elif tag == "li" or tag in _BLOCKS:
            self._break()

    def _table(self, rows: list[list[str]]) -> None:
        """The table as pipe rows, its own block; a one-cell-wide or empty table is just its text."""
        rows = [row for row in rows if any(row)]
        width = max((len(row) for row in rows), default=0)
        if width < 2:
            self.lines.extend(["", *(cell for row in rows for cell in row if cell), ""])
            return
        self.lines.append("")
        for number, row in enumerate(rows):
            cells = row + [""] * (width - len(row))
            self.lines.append("| " + " | ".join(cells) + " |")
            if number == 0:
                self.lines.append("|" + " --- |" * width)
        self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip_depth:
            return
        elif self._cell is not None:
            self._cell.append(data.replace("\n", " "))
        elif self._rows is None:
            self.current.append(data.replace("\n", " "))


def html_to_text(html: str) -> tuple[str, str]:
    """(title, text) of an HTML page: <title> or the first <h1>, and the body as Markdown-like lines."""
    converter = _Converter()
    converter.feed(html)
    converter.close()
    converter._break()
    # Headings and lists become their own paragraphs so the chunker sees the structure.
    out: list[str] = []
    for line in converter.lines:
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        same_run = bool(out) and any(p.match(line) and p.match(out[-1]) for p in (_ITEM, _ROW))
        if out and out[-1] and not same_run:
            out.append("")
        out.append(line)
    title = _SPACES.sub(" ", converter.title).strip() or converter.first_h1
    return title, "\n".join(out).strip()
