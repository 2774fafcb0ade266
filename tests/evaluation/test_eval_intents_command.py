"""`deskpilot eval intents` end to end through `deskpilot.cli.main`: cross-validated figures of the chat's intent
model beside the keyword baseline, in one JSON object."""

from __future__ import annotations

import json

import pytest

from deskpilot.cli import main
from deskpilot.conversations.intents import Intent
from deskpilot.evaluation.intents import keyword_intent


def test_eval_intents_prints_ours_beside_keywords_with_f1_per_intent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "intents", "--folds", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["folds"] == 2 and result["examples"] >= 400 and result["intents"] == len(Intent)
    ours, keywords = result["ours"], result["baseline"]
    assert set(ours["per_intent_f1"]) == set(keywords["per_intent_f1"]) == {i.value for i in Intent}
    assert ours["macro_f1"] > keywords["macro_f1"] and ours["accuracy"] > keywords["accuracy"]
    assert 0 < ours["abstain_rate"] < 0.5 and ours["p50_ms"] > 0


def test_too_few_folds_are_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "intents", "--folds", "1"]) != 0
    assert "--folds must be between 2 and 20" in capsys.readouterr().err


def test_the_keyword_baseline_reads_the_obvious_and_falls_back_to_a_kb_question() -> None:
    assert keyword_intent("talk to a person") is Intent.HANDOFF
    assert keyword_intent("any update on DP-7?") is Intent.TICKET_STATUS
    assert keyword_intent("printer shows error 49") is Intent.KB_QUESTION
