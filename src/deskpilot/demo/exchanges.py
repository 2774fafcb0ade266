"""The back-and-forth of a demo ticket: how many agent replies it took and whether the requester reopened it.

Drawn with a generator seeded by the ticket's external id, so every load gives every ticket the same story.
A ticket solved within the hour was solved by the first reply (first-contact resolution); a longer one
needed questions to the requester first in about a third of cases, and a few were reopened once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from deskpilot.tickets.history import HistoricalReply

MULTI_REPLY_SHARE = 0.35  # of tickets not fixed within the hour: the agent had to ask before solving it
REOPEN_SHARE = 0.06  # of resolved tickets: the fix did not hold and the requester reopened it once
QUESTIONS = (
    "Thanks for the details. Could you send a screenshot of the message you see?",
    "Could you tell me the device name (on the label, or under Settings > About)?",
    "Does this also happen on another network, for example at home or on the guest Wi-Fi?",
    "Could you restart the device and try once more, then tell me whether it still happens?",
)
ANSWERS = (
    "Screenshot attached, same message as before.",
    "It is the laptop with the asset tag on the bottom, name starts with NW-LT.",
    "Tried again after a restart, still the same.",
    "Yes, it happens from home too.",
)


def story(external_id: str, *, requester_id: int, assignee_id: int | None, created: datetime,
          resolved: datetime | None) -> tuple[tuple[HistoricalReply, ...], int]:
    """The replies before the resolution (agent questions and requester answers) and the reopen count."""
    if resolved is None or assignee_id is None:
        return (), 0
    rng = random.Random(external_id)
    took = resolved - created
    replies: list[HistoricalReply] = []
    if took > timedelta(hours=1) and rng.random() < MULTI_REPLY_SHARE:
        questions = rng.randint(1, 3)  # with the resolution: 2-4 agent replies
        step = took / (2 * questions + 1)
        for i in range(questions):
            replies.append(HistoricalReply(author_id=assignee_id, body=rng.choice(QUESTIONS), internal=False,
                                           created_at=created + step * (2 * i + 1)))
            replies.append(HistoricalReply(author_id=requester_id, body=rng.choice(ANSWERS), internal=False,
                                           created_at=created + step * (2 * i + 2)))
    reopens = 1 if rng.random() < REOPEN_SHARE else 0
    return tuple(replies), reopens
