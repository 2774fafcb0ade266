"""HTML → Markdown-ish text that keeps what retrieval and the chunker need: headings, lists, paragraphs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "pre", "blockquote", "dl", "dt", "dd"}
_SKIP = {"script", "style", "head", "nav", "footer", "noscript", "template"}
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

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
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
        is_item = bool(re.match(r"^\s*(?:\d+\.|-)\s", line))
        previous_item = bool(out) and bool(re.match(r"^\s*(?:\d+\.|-)\s", out[-1]))
        if out and out[-1] and not (is_item and previous_item):
            out.append("")
        out.append(line)
    title = _SPACES.sub(" ", converter.title).strip() or converter.first_h1
    return title, "\n".join(out).strip()
