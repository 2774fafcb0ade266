"""A desk's own test set of natural requests through the /api/v1/triage use case: category and priority band.

The set is a YAML file (the demo's is src/deskpilot/demo/eval/triage_requests.yaml): `requests`, each with
`text`, optional `subject`, the expected `category` and `band` (`high` = P1/P2, `normal` = P3/P4), and the
optional portal form answers `affected` (just_me | several | many) and `blocked` (true: "I cannot work at all").
An abstention counts as a wrong category: the request went to human triage.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Level, Priority
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.service import triage_request

BANDS = {"high": {Priority.P1, Priority.P2}, "normal": {Priority.P3, Priority.P4}}
AFFECTED = {"just_me": Level.LOW, "several": Level.MEDIUM, "many": Level.HIGH}


@dataclass(frozen=True)
class DeskRequest:
    text: str
    category: str
    band: str
    subject: str = ""
    impact: Level | None = None
    urgency: Level | None = None


def band_of(priority: Priority) -> str:
    return "high" if priority in BANDS["high"] else "normal"


def _request(index: int, row: Any) -> DeskRequest:
    where = f"request {index + 1}"
    if not isinstance(row, dict) or not str(row.get("text", "")).strip():
        raise InvalidInput(f"{where}: needs a non-empty `text`.")
    if row.get("band") not in BANDS:
        raise InvalidInput(f"{where}: `band` must be one of {sorted(BANDS)}, not {row.get('band')!r}.")
    if not row.get("category"):
        raise InvalidInput(f"{where}: needs the expected `category`.")
    affected = row.get("affected")
    if affected is not None and affected not in AFFECTED:
        raise InvalidInput(f"{where}: `affected` must be one of {sorted(AFFECTED)}, not {affected!r}.")
    return DeskRequest(text=str(row["text"]), category=str(row["category"]), band=str(row["band"]),
                       subject=str(row.get("subject", "")), impact=AFFECTED[affected] if affected else None,
                       urgency=Level.HIGH if row.get("blocked") else None)


def read_requests(path: Path) -> list[DeskRequest]:
    """The requests of a test-set file, with the line of the first bad one in the error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Cannot read the test set {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list) or not data["requests"]:
        raise InvalidInput(f"{path}: expected a mapping with a non-empty `requests` list.")
    return [_request(i, row) for i, row in enumerate(data["requests"])]


@dataclass
class DeskScore:
    """How one way of triaging did on the set."""

    name: str
    requests: int = 0
    category_correct: int = 0
    band_correct: int = 0
    abstained: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        n = max(self.requests, 1)
        return {"name": self.name, "requests": self.requests, "category_accuracy": round(self.category_correct / n, 4),
                "band_accuracy": round(self.band_correct / n, 4), "abstain_rate": round(self.abstained / n, 4),
                "p50_ms": round(statistics.median(self.latencies_ms), 2) if self.latencies_ms else None,
                "misses": self.misses}


def score(name: str, requests: Sequence[DeskRequest],
          decide: Callable[[DeskRequest], tuple[str | None, Priority]]) -> DeskScore:
    """Run `decide` (category or None for abstain, priority) on every request and count what it got right."""
    result = DeskScore(name=name)
    for request in requests:
        started = time.perf_counter()
        category, priority = decide(request)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.requests += 1
        result.abstained += category is None
        result.category_correct += category == request.category
        result.band_correct += band_of(priority) == request.band
        if category != request.category or band_of(priority) != request.band:
            result.misses.append({"text": request.text, "expected": f"{request.category} / {request.band}",
                                  "got": f"{category or 'abstained'} / {priority.value}"})
    return result


def triage_desk(session: Session, engine: TriageEngine, requests: Sequence[DeskRequest], *, name: str) -> DeskScore:
    """The requests through the same use case as POST /api/v1/triage (rolled back: nothing is kept)."""
    def decide(request: DeskRequest) -> tuple[str | None, Priority]:
        with session.begin_nested() as nested:
            outcome = triage_request(session, engine=engine, subject=request.subject, body=request.text,
                                     stated_impact=request.impact, stated_urgency=request.urgency)
            nested.rollback()
        result = outcome.result
        return (None if result.abstained else result.category), result.priority

    return score(name, requests, decide)
