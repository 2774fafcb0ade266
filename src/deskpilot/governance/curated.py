"""Curated replay cases a lead writes by hand, as CSV or YAML, read by pure functions.

Both formats carry the same fields per case:

    kind       triage | answer (default: triage when a category is given, else answer)
    question   what the requester wrote (PII is redacted on import)
    category   triage: the expected category            queue, priority: optional expectations
    article    answer: the slug of the expected article answer: or the approved answer text
    wrong_article  answer: the slug of an article a reviewer found answers it wrong (a negative case)

A bad case is refused with its line number, and nothing of the file is imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from deskpilot.errors import InvalidInput
from deskpilot.governance.enums import CaseKind
from deskpilot.tickets.enums import Priority

FIELDS = ("kind", "question", "category", "queue", "priority", "article", "answer", "wrong_article")
# What an export adds (where the case came from); read back without meaning, so an export imports as it is.
EXPORT_ONLY = ("source",)
MAX_CASES = 20_000


@dataclass(frozen=True)
class CuratedCase:
    line: int
    kind: CaseKind
    question: str
    expected: dict[str, str]


def parse_cases(name: str, content: str) -> list[CuratedCase]:
    """The cases in a `.csv`, `.yaml` or `.yml` file's text; InvalidInput names the file and line at fault."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        rows = _csv_rows(name, content)
    elif lowered.endswith((".yaml", ".yml")):
        rows = _yaml_rows(name, content)
    else:
        raise InvalidInput(f"{name}: replay cases are read from .csv, .yaml or .yml files")
    if not rows:
        raise InvalidInput(f"{name}: no cases found; expected columns {', '.join(FIELDS)}")
    if len(rows) > MAX_CASES:
        raise InvalidInput(f"{name}: {len(rows)} cases; at most {MAX_CASES} per file")
    return [_case(name, line, row) for line, row in rows]


def _csv_rows(name: str, content: str) -> list[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(header) - set(FIELDS) - set(EXPORT_ONLY))
    if "question" not in header or unknown:
        raise InvalidInput(f"{name} line 1: the header must name a question column and only {', '.join(FIELDS)}"
                           + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    reader.fieldnames = header
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for row in reader:
        if None in row:
            raise InvalidInput(f"{name} line {reader.line_num}: more cells than the header has columns")
        rows.append((reader.line_num, row))
    return rows


def _yaml_rows(name: str, content: str) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        root = yaml.compose(content, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{name}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from exc
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise InvalidInput(f"{name} line {root.start_mark.line + 1}: expected a list of cases")
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for node in root.value:
        line = node.start_mark.line + 1
        value = yaml.SafeLoader(yaml.serialize(node)).get_single_data()
        if not isinstance(value, dict):
            raise InvalidInput(f"{name} line {line}: each case is a mapping of {', '.join(FIELDS)}")
        unknown = sorted(str(k) for k in value if k not in FIELDS and k not in EXPORT_ONLY)
        if unknown:
            raise InvalidInput(f"{name} line {line}: unknown field {', '.join(unknown)}; known: {', '.join(FIELDS)}")
        rows.append((line, value))
    return rows


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _case(name: str, line: int, row: Mapping[str, Any]) -> CuratedCase:
    where = f"{name} line {line}"
    question = _text(row, "question")
    if not question:
        raise InvalidInput(f"{where}: the question is empty")
    category, article, answer = _text(row, "category"), _text(row, "article"), _text(row, "answer")
    raw_kind = _text(row, "kind").lower() or (CaseKind.TRIAGE if category else CaseKind.ANSWER)
    try:
        kind = CaseKind(raw_kind)
    except ValueError:
        raise InvalidInput(f"{where}: kind {raw_kind!r} is not one of triage, answer") from None
    if kind == CaseKind.TRIAGE:
        if not category:
            raise InvalidInput(f"{where}: a triage case needs the expected category")
        priority = _text(row, "priority").upper()
        if priority and priority not in {p.value for p in Priority}:
            raise InvalidInput(f"{where}: priority {priority!r} is not one of P1, P2, P3, P4")
        expected = {"category": category, "queue": _text(row, "queue"), "priority": priority}
    else:
        wrong = _text(row, "wrong_article")
        if not article and not answer and not wrong:
            raise InvalidInput(f"{where}: an answer case needs the expected article (slug) or answer text")
        expected = {"article": article, "answer": answer, "wrong_article": wrong}
    return CuratedCase(line=line, kind=kind, question=question, expected={k: v for k, v in expected.items() if v})
