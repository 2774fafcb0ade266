"""Brief answers to messages that are not a request for IT help: no article, no ticket, the chat stays open."""

from __future__ import annotations

from deskpilot.conversations.intents import Intent

ANSWERS: dict[Intent, str] = {
    Intent.GREETING: "Hello! I am the service desk's assistant. Tell me what you need: describe a problem or a "
                     "question, ask about one of your tickets, or ask for a person.",
    Intent.THANKS: "You are welcome! Is there anything else I can help with?",
    Intent.GOODBYE: "Goodbye! If anything else comes up, write here any time.",
    Intent.BOT_QUESTION: "I am the service desk's virtual assistant, not a person. I answer from the desk's "
                         "approved articles, check your tickets and open new ones. If you would rather talk to a "
                         "person, say \u201ctalk to a human\u201d at any time.",
    Intent.CAPABILITIES: "I can answer IT how-to questions and problems from the approved knowledge base, go "
                         "through troubleshooting steps with you, reset your password or unlock your account, "
                         "tell you the status of your tickets, open a new ticket, or hand you to a person. "
                         "Just describe what you need.",
    Intent.OUT_OF_SCOPE: "That is outside what the IT service desk handles, so I cannot help with it here; "
                         "facilities, HR, catering and travel have their own channels. I have not opened a "
                         "ticket. If you think it is an IT matter after all, say \u201ctalk to a human\u201d and a "
                         "person from the service desk will look at it.",
}


def answer(intent: Intent) -> str | None:
    """The brief answer to small talk, a question about the assistant, or an out-of-scope request; None for
    intents that need more than a sentence."""
    return ANSWERS.get(intent)
