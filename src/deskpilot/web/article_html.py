"""Help articles are written in Markdown; pages show them as HTML that can carry no script."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# The "default" preset turns raw HTML off, so `<script>` in an article is shown as text, and its link check
# refuses javascript:, vbscript:, file: and non-image data: URLs, leaving them as plain text: the output needs
# no second sanitiser. Linkify and typographer stay off so the text is shown as the author wrote it.
_OPTIONS = {"html": False, "linkify": False, "typographer": False}


def article_html(text: str) -> Markup:
    """An article's Markdown as safe HTML for a page (headings, lists, code, links, tables)."""
    return Markup(MarkdownIt("default", _OPTIONS).render(text))
