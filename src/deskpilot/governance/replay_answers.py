"""Replaying answer cases through the KB assistant as it is and as a candidate would make it.

A candidate changes the index searched (a KB change set swapped in), the composer's settings, or only the
abstention threshold. Each question is searched and composed once per distinct index and composer; the two
thresholds then decide which answers are given. An answer is right when the article it was built from is the
expected one, or, for a case that only carries an approved answer text (a sent draft), when it overlaps that
text (token F1 ≥ RIGHT_F1). A negative case (a reviewer marked an answer from `wrong_article` wrong) is right
when the answer does not come from that article.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.grounded import GroundedAnswer
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.evaluation.answers import token_f1

RIGHT_F1 = 0.5
NO_ARTICLE = "(answer text only)"


@dataclass(frozen=True)
class AnswerCase:
    case_id: int
    source_ref: str
    question: str
    article: str | None
    answer: str | None
    wrong_article: str | None = None

    @property
    def intent(self) -> str:
        if self.wrong_article and not self.article:
            return f"not {self.wrong_article}"
        return self.article or NO_ARTICLE


@dataclass(frozen=True)
class AnswerSetup:
    """What answers a question: the index searched, the composer's settings and the abstention threshold."""

    index: KbIndex
    abstain_below: float
    confident_above: float | None = None
    rerank: bool = False

    def composes_like(self, other: AnswerSetup) -> bool:
        return (self.index is other.index and self.confident_above == other.confident_above
                and self.rerank == other.rerank)


def _right(case: AnswerCase, answer: GroundedAnswer) -> bool:
    if answer.abstained or not answer.sentences:
        return False
    slug = answer.sentences[0].slug
    if case.article:
        return slug == case.article
    if case.answer:
        return token_f1(answer.text, case.answer) >= RIGHT_F1
    return slug != case.wrong_article


def _scores(cases: Sequence[AnswerCase], answers: Sequence[GroundedAnswer], given: Sequence[bool]
            ) -> dict[str, float]:
    n = len(cases)
    answered = [i for i in range(n) if given[i]]
    right = sum(_right(cases[i], answers[i]) for i in answered)
    return {"precision": right / len(answered) if answered else 1.0,
            "abstention": (n - len(answered)) / n if n else 0.0,
            "deflection": right / n if n else 0.0}


def _compose(cases: Sequence[AnswerCase], setup: AnswerSetup) -> tuple[list[GroundedAnswer], float]:
    """Each case's answer (no threshold applied) and the milliseconds per answer."""
    composer = AnswerComposer(HybridRetriever(setup.index), abstain_below=0.0,
                              confident_above=setup.confident_above, rerank=setup.rerank)
    started = time.perf_counter()
    answers = [composer.answer(RetrievalQuery.from_dialogue(c.question)) for c in cases]
    return answers, (time.perf_counter() - started) * 1000 / len(cases) if cases else 0.0


def _label(answer: GroundedAnswer, given: bool) -> str:
    if not given:
        return "handed over"
    return f"answered from {answer.sentences[0].slug}" if answer.sentences else "answered"


def replay_answers(cases: Sequence[AnswerCase], *, current: AnswerSetup, candidate: AnswerSetup) -> dict[str, Any]:
    """Per expected article and overall: answer precision, abstention and deflection of both setups, with the
    change in deflection points per article and the cases whose outcome changed."""
    now, now_ms = _compose(cases, current)
    then, then_ms = (now, now_ms) if candidate.composes_like(current) else _compose(cases, candidate)
    before = [not a.abstained and a.confidence >= current.abstain_below for a in now]
    after = [not a.abstained and a.confidence >= candidate.abstain_below for a in then]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        groups[case.intent].append(i)
    by_intent = {}
    for intent in sorted(groups):
        rows = groups[intent]
        picked = [cases[i] for i in rows]
        mine = _scores(picked, [now[i] for i in rows], [before[i] for i in rows])
        theirs = _scores(picked, [then[i] for i in rows], [after[i] for i in rows])
        by_intent[intent] = {"cases": len(rows), "current": mine, "candidate": theirs,
                             "delta_points": round(100 * (theirs["deflection"] - mine["deflection"]), 2)}
    changed = []
    for i, case in enumerate(cases):
        was, becomes = _label(now[i], before[i]), _label(then[i], after[i])
        if was != becomes:
            changed.append({"case": case.case_id, "source": case.source_ref, "question": case.question[:160],
                            "expected": case.intent, "current": was, "candidate": becomes})
    return {"cases": len(cases), "by_intent": by_intent, "changed": changed,
            "candidate_changes": ([] if candidate.index is current.index else ["kb"])
            + ([] if candidate.abstain_below == current.abstain_below else ["abstain_below"])
            + ([] if (candidate.confident_above, candidate.rerank) == (current.confident_above, current.rerank)
               else ["composer"]),
            "current": {**_scores(cases, now, before), "latency_ms": round(now_ms, 3),
                        "abstain_below": current.abstain_below},
            "candidate": {**_scores(cases, then, after), "latency_ms": round(then_ms, 3),
                          "abstain_below": candidate.abstain_below}}
