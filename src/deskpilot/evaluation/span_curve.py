"""Answer precision against coverage: what share of answers is right when only the most confident are given.

An answer is right when its token F1 against the reference reaches `RIGHT_F1` (SQuAD-style normalisation).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RIGHT_F1 = 0.5
COVERAGES = (1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.1)


def precision_curve(probability: npt.NDArray[np.float64], right: npt.NDArray[np.bool_],
                    f1: npt.NDArray[np.float64]) -> list[dict[str, float]]:
    """Answer precision and F1 when only the most probable share of turns is answered."""
    order = np.argsort(-probability)
    curve = []
    for coverage in COVERAGES:
        top = order[: max(1, round(coverage * len(order)))]
        curve.append({"coverage": coverage, "precision": float(right[top].mean()),
                      "f1_answered": float(f1[top].mean()), "min_probability": float(probability[top[-1]])})
    return curve


def threshold_for(probability: npt.NDArray[np.float64], right: npt.NDArray[np.bool_], target: float,
                  *, min_answers: int = 20) -> float:
    """The lowest probability above which answers held `target` precision (1.0 when none did)."""
    order = np.argsort(-probability)
    hits = np.cumsum(right[order])
    counts = np.arange(1, len(order) + 1)
    ok = np.flatnonzero((hits / counts >= target) & (counts >= min_answers))
    return float(probability[order[ok[-1]]]) if ok.size else 1.0
