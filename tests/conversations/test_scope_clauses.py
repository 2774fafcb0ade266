"""The scope check's clause readings with the shipped intent model: a scene set before an IT question leans the
whole message out of scope, but the model is sure its question clause is one for the KB; a message whose clauses
are all outside the desk stays outside, and a clause asking for a reset does not count."""

from __future__ import annotations

from deskpilot.conversations import scope
from deskpilot.conversations.intents import Intent
from deskpilot.runtime import AiRuntime


def test_an_it_question_after_a_scene_is_found_in_its_clause(ai_runtime: AiRuntime) -> None:
    model = ai_runtime.intents
    text = "on a business trip in Oslo, how do I print?"
    whole = model.read(text)
    assert whole.intent is Intent.OUT_OF_SCOPE and not whole.abstained, "the case this test is about"
    assert scope.asks_the_kb_in_part(model, whole, text)


def test_clauses_outside_the_desk_or_asking_for_a_reset_do_not_count(ai_runtime: AiRuntime) -> None:
    model = ai_runtime.intents
    for text in ("on a business trip in Oslo, what's the weather like there?",
                 "my private instagram was hacked, can you reset my password?"):
        assert not scope.asks_the_kb_in_part(model, model.read(text), text), text
