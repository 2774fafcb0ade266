"""Where a chat load's tail is: server-side time per turn by the turn's index in its conversation and by phase.

`chat_load.py` records one `TurnTiming` per acknowledged turn; the tables here split the server-side time
(Server-Timing `app` + `queue`) so that a run shows whether the slow turns are the first questions, and whether
they are slow while the conversations are still arriving (the ramp) or afterwards.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TurnTiming:
    """One acknowledged turn: its index in the conversation (1 = the first question), when it was sent (seconds
    after the measured load began) and its server-side times in ms."""

    turn: int
    sent_at: float
    app_ms: float
    queue_ms: float

    @property
    def total_ms(self) -> float:
        return self.app_ms + self.queue_ms


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method), NaN for fewer than two values."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def _row(name: str, timings: list[TurnTiming]) -> str:
    total = [timing.total_ms for timing in timings]
    app = [timing.app_ms for timing in timings]
    return (f"| {name} | {len(timings)} | {percentile(total, 50):.1f} | {percentile(total, 95):.1f} | "
            f"{percentile(total, 99):.1f} | {percentile(app, 95):.1f} |")


_HEADER = ("| {what} | turns | p50 ms | p95 ms | p99 ms | p95 ms, work only (app) |\n"
           "|---|---:|---:|---:|---:|---:|")


def _select(timings: Iterable[TurnTiming], keep: Callable[[TurnTiming], bool]) -> list[TurnTiming]:
    return [timing for timing in timings if keep(timing)]


def by_phase(timings: list[TurnTiming], ramp: float) -> list[str]:
    """Rows (markdown) of the server-side total per turn: first questions and later turns, during the ramp (sent
    in its first `ramp` seconds, while conversations still arrive) and after it."""
    def during(timing: TurnTiming) -> bool:
        return timing.sent_at < ramp

    rows = [_HEADER.format(what="server-side total (app + queue) per turn"),
            _row("all turns", timings),
            _row("turn 1 (the first question)", _select(timings, lambda t: t.turn == 1)),
            _row("later turns (2 and after)", _select(timings, lambda t: t.turn > 1))]
    if ramp > 0:
        rows += [_row(f"during the ramp (sent in its first {ramp:g} s)", _select(timings, during)),
                 _row("during the ramp, turn 1", _select(timings, lambda t: during(t) and t.turn == 1)),
                 _row("during the ramp, later turns", _select(timings, lambda t: during(t) and t.turn > 1)),
                 _row("after the ramp", _select(timings, lambda t: not during(t))),
                 _row("after the ramp, later turns", _select(timings, lambda t: not during(t) and t.turn > 1))]
    return rows


def by_turn(timings: list[TurnTiming]) -> list[str]:
    """Rows (markdown) of the server-side total per turn, one row per turn index."""
    by_index: dict[int, list[TurnTiming]] = {}
    for timing in timings:
        by_index.setdefault(timing.turn, []).append(timing)
    return [_HEADER.format(what="turn index"),
            *(_row(f"turn {turn}", by_index[turn]) for turn in sorted(by_index))]
