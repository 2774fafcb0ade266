"""CSV that a spreadsheet opens as data: every export writes its cells through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run by Excel, LibreOffice and
Google Sheets as a formula (CSV injection), so it is written with a leading `'`, as OWASP recommends.
Cells that already start with quotes before such a character get one more quote, which makes the change
reversible: `restore` gives back exactly what was written, so an exported knowledge base imports unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

_NEUTRALISED = re.compile(r"'*[=+\-@\t\r]")
_RESTORABLE = re.compile(r"'+[=+\-@\t\r]")


class _Writable(Protocol):
    def write(self, text: str, /) -> int: ...


def neutralise(value: Any) -> Any:
    """`value`, with a leading `'` when a spreadsheet would run it as a formula; non-text unchanged."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text `neutralise` was given, from the text it wrote."""
    return value[1:] if _RESTORABLE.match(value) else value


class SafeCsvWriter:
    """A `csv.writer` whose every cell goes through `neutralise`."""

    def __init__(self, stream: _Writable, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
