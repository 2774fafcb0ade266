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
         "select", "textarea"}
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
        self._tables: list[list[list[str]]] = []  # the rows of each open table, innermost last
        self._cells: list[tuple[int, list[str]]] = []  # open cells: (depth of their table, text parts)

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
            if not self._tables:
                self._break()
            self._tables.append([])
        elif tag == "tr" and self._tables:
            self._close_cell()
            self._tables[-1].append([])
        elif tag in ("td", "th") and self._tables:
            self._close_cell()  # an unclosed cell of this table ends where the next one starts
            self._cells.append((len(self._tables), []))
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
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "table" and self._tables:
            self._close_cell()
            rows = self._tables.pop()
            if self._cells:  # a table inside a cell (a layout table) becomes that cell's text
                self._cells[-1][1].append(" " + " ; ".join(" ".join(row) for row in rows if any(row)) + " ")
            elif not self._tables:
                self._table(rows)
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

    def _close_cell(self) -> None:
        """End the open cell of the innermost table, if any, adding its text to the table's last row."""
        if not self._cells or self._cells[-1][0] != len(self._tables):
            return
        _, parts = self._cells.pop()
        rows = self._tables[-1]
        if not rows:
            rows.append([])
        rows[-1].append(_SPACES.sub(" ", "".join(parts)).strip().replace("|", "\\|"))

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
        elif self._cells:
            self._cells[-1][1].append(data.replace("\n", " "))
        elif not self._tables:
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
