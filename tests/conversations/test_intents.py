"""The chat's intent model: unseen phrasings land on their intent; the issue's own phrasings too; the threshold
and the stored model behave."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.conversations import intents
from deskpilot.conversations.intents import Intent
from deskpilot.errors import InvalidInput
from deskpilot.runtime import AiRuntime

# Not in intent_examples.yaml: written for this test.
UNSEEN = {
    Intent.GREETING: ["good morning team", "hey, hello!"],
    Intent.THANKS: ["thanks, that helped a lot", "cheers mate, appreciated"],
    Intent.GOODBYE: ["ok that's it, bye", "see you tomorrow"],
    Intent.BOT_QUESTION: ["am I talking to a robot?", "are you a real human being"],
    Intent.CAPABILITIES: ["what can you help with?"],
    Intent.HANDOFF: ["can I talk to someone at the help desk", "can u get me a human"],
    Intent.TICKET_STATUS: ["has my request been picked up yet", "is ticket 5 fixed yet"],
    Intent.OPEN_TICKET: ["please log a ticket for me", "I'd like to open a request for a new monitor"],
    Intent.PASSWORD_RESET: ["I forgot my password again", "need a password reset"],
    Intent.ACCOUNT_UNLOCK: ["my account got locked", "I'm locked out after too many tries"],
    Intent.KB_QUESTION: ["Outlook crashes when I open attachments", "how do I add a shared mailbox"],
    Intent.OUT_OF_SCOPE: ["what's the weather in Berlin", "How do I descale the coffee machine in the kitchen?"],
}
FROM_THE_ISSUE = {
    "what's the status of my incident?": Intent.TICKET_STATUS, "is my ticket closed?": Intent.TICKET_STATUS,
    "any update on DP-123?": Intent.TICKET_STATUS, "I want a human": Intent.HANDOFF,
    "real agent please": Intent.HANDOFF, "give me a person please": Intent.HANDOFF,
    "I need to open an incident": Intent.OPEN_TICKET, "help": Intent.CAPABILITIES,
    "are you a bot?": Intent.BOT_QUESTION, "canteen menu": Intent.OUT_OF_SCOPE,
    "book a meeting room in the new building": Intent.OUT_OF_SCOPE, "My VPN won't connect": Intent.KB_QUESTION,
}


def test_unseen_phrasings_are_read_as_their_intent(ai_runtime: AiRuntime) -> None:
    wrong = {text: ai_runtime.intents.read(text).intent for intent, texts in UNSEEN.items() for text in texts
             if ai_runtime.intents.read(text).intent is not intent}
    assert wrong == {}


def test_the_issue_s_phrasings_are_read_as_their_intent(ai_runtime: AiRuntime) -> None:
    assert {text: ai_runtime.intents.read(text).intent for text in FROM_THE_ISSUE} == FROM_THE_ISSUE


def test_a_ticket_s_number_does_not_change_what_a_status_question_is_read_as(ai_runtime: AiRuntime) -> None:
    assert intents.without_ticket_number("any news on DP-608 or #12?") == "any news on DP-1 or #1?"
    readings = {ai_runtime.intents.read(f"was ist mit DP-{number} los?") for number in (7, 600, 608, 31337)}
    assert len(readings) == 1


def test_a_reading_below_the_threshold_falls_back_to_a_kb_question(ai_runtime: AiRuntime) -> None:
    model = ai_runtime.intents
    assert 0.0 < model.threshold < 1.0
    reading = model.read("whats up")
    assert reading.abstained == (reading.confidence < model.threshold)
    if reading.abstained:
        assert reading.intent is Intent.KB_QUESTION
    confident = model.read("real agent please")
    assert not confident.abstained and confident.confidence >= model.threshold


def test_a_stored_model_is_loaded_at_start_up_and_predicts_what_the_trained_one_did(ai_runtime: AiRuntime,
                                                                                   tmp_path: Path) -> None:
    ai_runtime.intents.classifier.save(tmp_path / "stored")
    loaded = intents.load_stored_or_train(tmp_path / "stored", ai_runtime.embedder)
    assert loaded is not ai_runtime.intents
    for text in ("real agent please", "canteen menu", "is my ticket closed?"):
        assert loaded.read(text) == ai_runtime.intents.read(text)


def test_training_data_with_an_unknown_intent_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text("greeting: [hi]\nsmalltalk: [how are you]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown intent 'smalltalk'"):
        intents.training_examples(path)


def test_every_intent_has_enough_shipped_examples_for_cross_validation() -> None:
    _texts, labels = intents.training_examples()
    assert {Intent(label) for label in labels} == set(Intent)
    assert min(labels.count(i.value) for i in Intent) >= 25
