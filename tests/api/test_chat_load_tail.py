"""The chat load benchmark splits the server-side time per turn by turn index and by phase (ramp or after)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture
def turn_tail(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    return importlib.import_module("turn_tail")


def _cells(rows: list[str], name: str) -> list[str]:
    [row] = [row for row in rows if row.startswith(f"| {name} |")]
    return [cell.strip() for cell in row.strip("|").split("|")][1:]


def test_slow_first_questions_in_the_ramp_show_in_their_own_rows(turn_tail: ModuleType) -> None:
    timing = turn_tail.TurnTiming
    # Ten conversations: the first question sent in the ramp's 5 s takes 300 ms (250 of them waiting for
    # admission); every later turn, sent after the ramp, 10 ms.
    timings = [timing(1, n * 0.4, 50.0, 250.0) for n in range(10)]
    timings += [timing(turn, 6.0 + n, 10.0, 0.0) for n in range(10) for turn in (2, 3)]

    phases = turn_tail.by_phase(timings, 5.0)
    assert _cells(phases, "turn 1 (the first question)") == ["10", "300.0", "300.0", "300.0", "50.0"]
    assert _cells(phases, "later turns (2 and after)") == ["20", "10.0", "10.0", "10.0", "10.0"]
    assert _cells(phases, "during the ramp (sent in its first 5 s)")[:2] == ["10", "300.0"]
    assert _cells(phases, "after the ramp")[:2] == ["20", "10.0"]
    assert _cells(phases, "during the ramp, later turns")[0] == "0"

    turns = turn_tail.by_turn(timings)
    assert [_cells(turns, f"turn {n}")[0] for n in (1, 2, 3)] == ["10", "10", "10"]
    assert _cells(turns, "turn 2")[1] == "10.0"


def test_without_a_ramp_the_phase_rows_are_left_out(turn_tail: ModuleType) -> None:
    rows = turn_tail.by_phase([turn_tail.TurnTiming(1, 0.0, 20.0, 0.0)], 0.0)
    assert not any("ramp" in row for row in rows)
