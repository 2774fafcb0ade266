"""The replay report tells the cases the intent model was trained on word for word from the unseen ones."""

from __future__ import annotations

from deskpilot.evaluation.conversations_cases import ConversationCase, Handling
from deskpilot.evaluation.conversations_judge import Observed, Verdict
from deskpilot.evaluation.conversations_replay import CaseResult
from deskpilot.evaluation.conversations_report import phrasing_key, summarise


def _result(case_id: str, turns: tuple[str, ...], *, right: bool) -> CaseResult:
    case = ConversationCase(id=case_id, intent="handoff", expect=Handling.HANDOFF, turns=turns)
    observed = Observed.HANDOFF if right else Observed.NEW_TICKET
    verdict = Verdict(observed=observed, right=right, reason="", cited=(), answer_acceptable=False)
    return CaseResult(case=case, verdict=verdict, baseline=Handling.HANDOFF, turn_ms=(10.0,))


def test_cases_with_a_trained_phrasing_are_reported_apart_from_the_unseen_ones() -> None:
    results = [
        _result("seen-1", ("I want a HUMAN!",), right=True),
        _result("seen-2", ("hello", "Give me a person, please"), right=True),
        _result("unseen-1", ("could somebody from IT call me back",), right=False),
        _result("unseen-2", ("let me talk to your colleague",), right=True),
    ]
    training = frozenset(phrasing_key(text) for text in ("i want a human", "give me a person please"))

    report = summarise(results, training_phrasings=training)

    overlap = report["by_training_overlap"]
    assert overlap["in_training"]["cases"] == 2 and overlap["in_training"]["handled_right"] == 1.0
    assert overlap["unseen"]["cases"] == 2 and overlap["unseen"]["handled_right"] == 0.5
    assert report["handled_right"] == 0.75


def test_without_training_phrasings_every_case_is_unseen() -> None:
    report = summarise([_result("a", ("hi",), right=True)])
    assert set(report["by_training_overlap"]) == {"unseen"}
