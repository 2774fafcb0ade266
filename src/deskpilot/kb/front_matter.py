"""YAML front matter of an imported Markdown article, read within bounds an uploader cannot stretch.

Front matter is eight short fields, so it is refused when it is longer than MAX_CHARS, nests deeper than
MAX_DEPTH or uses anchors and aliases (which can expand a few bytes into an enormous document); the YAML
parser is pure Python and costs seconds per hundred kilobytes, so every limit is checked before or while
it parses, never after.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from deskpilot.errors import InvalidInput

FIELDS = frozenset({"slug", "title", "queue", "category", "tags", "owner", "language", "translation_of"})
MAX_CHARS = 4_096
MAX_DEPTH = 4
_OPENING = re.compile(r"---[ \t]*\r?\n")
_CLOSING = re.compile(r"\r?\n---[ \t]*(?:\r?\n|\Z)")


class _BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]
    """The safe loader, refusing aliases and nesting deeper than MAX_DEPTH as it composes the document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("anchors and aliases are not allowed")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def split(source: str, text: str) -> tuple[str, str]:
    """(front matter, body) of a Markdown text that starts with a '---' line."""
    opening = _OPENING.match(text)
    closing = _CLOSING.search(text, opening.end() - 1, opening.end() + MAX_CHARS + 8) if opening else None
    if opening is None or closing is None:
        raise InvalidInput(f"{source}: the front matter starts with '---' but has no closing '---' line within "
                           f"its first {MAX_CHARS} characters; front matter may be at most {MAX_CHARS} characters.")
    return text[opening.end():closing.start()], text[closing.end():]


def _load(source: str, raw: str) -> Any:
    loader = _BoundedLoader(raw)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        detail = str(exc) if type(exc) is yaml.YAMLError else exc.__class__.__name__
        raise InvalidInput(f"{source}: the front matter is not valid YAML ({detail}).") from exc
    finally:
        loader.dispose()


def parse(source: str, raw: str) -> dict[str, Any]:
    """The fields of a front matter block, checked: a mapping of FIELDS, tags a list of strings, the rest text."""
    meta = _load(source, raw)
    if not isinstance(meta, dict):
        raise InvalidInput(f"{source}: the front matter must be a mapping of {sorted(FIELDS)}.")
    unknown = set(map(str, meta)) - FIELDS
    if unknown:
        raise InvalidInput(f"{source}: unknown front-matter fields {sorted(unknown)}; allowed are {sorted(FIELDS)}.")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput(f"{source}: tags must be a list of strings.")
    for key in ("slug", "title", "queue", "category", "owner", "language", "translation_of"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise InvalidInput(f"{source}: {key} must be text.")
    return meta
