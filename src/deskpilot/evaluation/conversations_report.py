"""The figures of a conversation replay (definitions in docs/benchmarks.md, "End-to-end conversations").

- handled_right: cases whose final handling is the expected kind (an answer must cite an acceptable article;
  a new ticket must have been asked for, or offered first) / all cases.
- resolved_without_human: routine cases (expected answer or self_service: how-to, known problem, password)
  that the assistant answered with a cited article or the self-service reset, with no ticket and no person
  / routine cases. Whether the article was the right one is answer_precision's business.
- answer_precision: answers citing an acceptable article / all answers given (over every case, so an answer
  to an out-of-scope question or a status request counts against it).
- by_split: the same figures on each half of the cases (`conversations_cases.split_of`): `dev`, whose failures
  are read while improving the assistant, and `test`, whose are not.
- by_training_overlap: the same figures on the cases one of whose messages is, word for word (case and punctuation
  aside), a phrasing the intent model was trained on (`in_training`), and on the others (`unseen`): a gap between
  them is what memorised phrasings add, and `unseen` is the figure to expect on messages written by other people.
- baseline: the keyword router on the opening messages (single-turn cases), kind only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from deskpilot.evaluation.conversations_judge import Observed
from deskpilot.evaluation.conversations_replay import CaseResult


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _group(results: Iterable[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[key(result)].append(result)
    table: dict[str, dict[str, Any]] = {}
    for name in sorted(groups):
        rows = groups[name]
        opening = [r for r in rows if not r.case.multi_turn]
        table[name] = {
            "cases": len(rows),
            "handled_right": _share(sum(r.verdict.right for r in rows), len(rows)),
            "opening_cases": len(opening),
            "opening_handled_right": _share(sum(r.verdict.right for r in opening), len(opening)),
            "baseline_handled_right": _share(sum(r.baseline is r.case.expect for r in opening), len(opening)),
        }
    return table


def phrasing_key(text: str) -> str:
    """A message as the overlap check compares it: its words, case folded, punctuation and spacing dropped."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _overlap(result: CaseResult, training_phrasings: frozenset[str]) -> str:
    seen = any(phrasing_key(turn) in training_phrasings for turn in result.case.turns)
    return "in_training" if seen else "unseen"


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _failure(result: CaseResult) -> dict[str, Any]:
    case, verdict = result.case, result.verdict
    return {"id": case.id, "split": case.split, "line": case.line, "intent": case.intent, "language": case.language,
            "expect": case.expect.value, "observed": verdict.observed.value, "reason": verdict.reason,
            "cited": list(verdict.cited), "opening": case.turns[0][:200]}


def summarise(results: list[CaseResult], *, training_phrasings: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The JSON report of a replay: the contract keys first, then the detail (failures with case ids).

    `training_phrasings` are the intent model's training texts as `phrasing_key` gives them."""
    routine = [r for r in results if r.case.routine]
    resolved = [r for r in routine if r.verdict.observed in (Observed.ANSWER, Observed.SELF_SERVICE)]
    answers = [r for r in results if r.verdict.answered]
    opening = [r for r in results if not r.case.multi_turn]
    turn_ms = [ms for r in results for ms in r.turn_ms]
    right = sum(r.verdict.right for r in results)
    return {
        "handled_right": _share(right, len(results)),
        "by_intent": _group(results, lambda r: r.case.intent),
        "resolved_without_human": _share(len(resolved), len(routine)),
        "answer_precision": _share(sum(r.verdict.answer_acceptable for r in answers), len(answers)),
        "cases": len(results),
        "handled_right_count": right,
        "opening_cases": len(opening),
        "multi_turn_cases": len(results) - len(opening),
        "multi_turn_handled_right": _share(sum(r.verdict.right for r in results if r.case.multi_turn),
                                           len(results) - len(opening)),
        "routine_cases": len(routine),
        "answers_given": len(answers),
        "by_kind": _group(results, lambda r: r.case.expect.value),
        "by_language": _group(results, lambda r: r.case.language),
        "by_split": _group(results, lambda r: r.case.split),
        "by_training_overlap": _group(results, lambda r: _overlap(r, training_phrasings)),
        "observed": {kind.value: sum(r.verdict.observed is kind for r in results) for kind in Observed},
        "baseline": {
            "name": "keyword router on the opening message (kind only, article not checked)",
            "handled_right": _share(sum(r.baseline is r.case.expect for r in opening), len(opening)),
            "opening_handled_right_ours": _share(sum(r.verdict.right for r in opening), len(opening)),
        },
        "turns": len(turn_ms),
        "latency_ms_p50": _percentile(turn_ms, 50),
        "latency_ms_p95": _percentile(turn_ms, 95),
        "failures": [_failure(r) for r in results if not r.verdict.right],
    }
