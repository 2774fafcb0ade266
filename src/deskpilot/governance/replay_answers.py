"""Replaying answer cases through the KB assistant under the current and a candidate abstention setting.

Each question is searched and composed once; the two settings then decide which answers are given. An answer
is right when the article it was built from is the expected one, or, for a case that only carries an
approved answer text (a sent draft), when it overlaps that text (token F1 ≥ RIGHT_F1).
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

    @property
    def intent(self) -> str:
        return self.article or NO_ARTICLE


def _right(case: AnswerCase, answer: GroundedAnswer) -> bool:
    if answer.abstained or not answer.sentences:
        return False
    if case.article:
        return answer.sentences[0].slug == case.article
    return token_f1(answer.text, case.answer or "") >= RIGHT_F1


def _scores(cases: Sequence[AnswerCase], answers: Sequence[GroundedAnswer], given: Sequence[bool]
            ) -> dict[str, float]:
    n = len(cases)
    answered = [i for i in range(n) if given[i]]
    right = sum(_right(cases[i], answers[i]) for i in answered)
    return {"precision": right / len(answered) if answered else 1.0,
            "abstention": (n - len(answered)) / n if n else 0.0,
            "deflection": right / n if n else 0.0}


def replay_answers(cases: Sequence[AnswerCase], *, index: KbIndex, current_abstain_below: float,
                   candidate_abstain_below: float) -> dict[str, Any]:
    """Per expected article and overall: answer precision, abstention and deflection under both settings."""
    composer = AnswerComposer(HybridRetriever(index), abstain_below=0.0)
    started = time.perf_counter()
    answers = [composer.answer(RetrievalQuery.from_dialogue(c.question)) for c in cases]
    latency = (time.perf_counter() - started) * 1000 / len(cases) if cases else 0.0
    before = [not a.abstained and a.confidence >= current_abstain_below for a in answers]
    after = [not a.abstained and a.confidence >= candidate_abstain_below for a in answers]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        groups[case.intent].append(i)
    by_intent = {}
    for intent in sorted(groups):
        rows = groups[intent]
        picked, picked_answers = [cases[i] for i in rows], [answers[i] for i in rows]
        by_intent[intent] = {"cases": len(rows),
                             "current": _scores(picked, picked_answers, [before[i] for i in rows]),
                             "candidate": _scores(picked, picked_answers, [after[i] for i in rows])}
    changed = [{"case": c.case_id, "source": c.source_ref, "question": c.question[:160], "expected": c.intent,
                "current": "answered" if b else "handed over", "candidate": "answered" if a else "handed over"}
               for c, b, a in zip(cases, before, after, strict=True) if b != a]
    return {"cases": len(cases), "by_intent": by_intent, "changed": changed,
            "current": {**_scores(cases, answers, before), "latency_ms": round(latency, 3),
                        "abstain_below": current_abstain_below},
            "candidate": {**_scores(cases, answers, after), "latency_ms": round(latency, 3),
                          "abstain_below": candidate_abstain_below}}
