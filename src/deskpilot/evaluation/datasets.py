"""Loaders for the uniform public-dataset formats (see ../shared/datasets/README.md)."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from deskpilot.errors import InvalidInput

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str


def read_csv_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with a header that has at least `required` columns; clear errors otherwise."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise InvalidInput(
                    f"{path}: missing column(s) {', '.join(missing)}; expected a header with "
                    f"{', '.join(required)} (found {', '.join(header) or 'no header'})"
                )
            rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not rows:
        raise InvalidInput(f"{path}: no data rows")
    return rows


def read_labelled(path: Path) -> list[LabelledText]:
    """A classification CSV `text,label`."""
    rows = read_csv_rows(path, ("text", "label"))
    return [LabelledText(text=r["text"], label=r["label"].strip()) for r in rows]
