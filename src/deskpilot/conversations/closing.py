"""A reply to "did this solve it?" that closes the matter without a yes: the requester reports what they did and
thanks ("cleared it, printing again. thanks", "found it in the recycle bin, thank you!", "ok restarted it, now it
connects. merci"). `replies.classify` reads only short replies that start with a yes; such a message is "other"
to it, and was then searched as a new question or counted as a failed step.

The thanks is read by the chat's intent model (`intents.py`), trained on thanks in every language the desk
speaks, on the whole message and on each of its clauses: the model reads "thank you" confidently, but not a
whole message whose other clause reports the fix ("cleared it, printing again. thanks": a KB question). It is
a closing only when nothing in the message is a question and nothing reports a failure ("rebooted, no change.
thanks", "I did that but it still fails, thanks"). A short thanks before a question ("thanks, where do I find
the settings?"), a yes to `classify`, is the question: it asks on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskpilot.conversations import phrases
from deskpilot.conversations.intents import Intent
from deskpilot.conversations.replies import Reply, classify, is_question, reports_failure, without_acknowledgement

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

def reply(assistant: Assistant, text: str) -> Reply:
    """`classify(text)`, with a thanking report of what was done read as YES (see the module docstring)."""
    read = classify(text)
    question = without_acknowledgement(text)
    if read is Reply.YES and question != text and is_question(question):
        return Reply.OTHER  # "thanks, where do I find the settings?": a short question after a thanks
    if read is not Reply.OTHER or reports_failure(text):
        return read
    parts = phrases.clauses(text)
    if is_question(text) or any(is_question(part) for part in parts):
        return read
    readings = assistant.intents.read_all(list(dict.fromkeys([text, *parts])))  # embedded in one batch
    thanks = any(reading.intent is Intent.THANKS for reading in readings)
    return Reply.YES if thanks else read
