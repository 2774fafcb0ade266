"""Typed error messages are matched to their article step exactly as a full letter-by-letter scan of every
window of the requester's words matches them (the matcher rules most windows out by their letters alone and
reads each article once per process)."""

from __future__ import annotations

import random
import re
from difflib import SequenceMatcher

from deskpilot.assist.index_store import KbDocument
from deskpilot.conversations.error_messages import MIN_SIMILARITY, codes, match_step
from deskpilot.conversations.steps import numbered_steps
from deskpilot.demo import KB_DIR
from deskpilot.kb.importer import read_folder

_QUOTED = re.compile(r"[\"\u201c\u201e]([^\"\u201c\u201d\u201e\n]{4,120})[\"\u201d]")
_WORD = re.compile(r"[a-z0-9]+")


def _scanned(text: str, documents: list[KbDocument]) -> tuple[str, int, str, float, bool] | None:
    """The reference: every step of every article, every window of the requester's words, `SequenceMatcher`."""
    words = _WORD.findall(text.lower())
    best: tuple[str, int, str, float, bool] | None = None
    for document in documents:
        for number, step in enumerate(numbered_steps(document.text), start=1):
            for code in codes(text) & codes(step):
                return document.slug, number, code, 1.0, True
            for message in _QUOTED.findall(step):
                wanted = _WORD.findall(message.lower())
                if len(wanted) < 2 or len(words) < len(wanted):
                    continue
                score = max(SequenceMatcher(None, " ".join(wanted), " ".join(words[i:i + len(wanted)])).ratio()
                            for i in range(len(words) - len(wanted) + 1))
                if score >= MIN_SIMILARITY and (best is None or score > best[3]):
                    best = document.slug, number, message.strip(), score, False
    return best


def _typo(text: str, rng: random.Random) -> str:
    letters = list(text)
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(len(letters))
        if rng.random() < 0.5:
            letters[at] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        else:
            letters.insert(at, rng.choice("abcdefghijklmnopqrstuvwxyz"))
    return "".join(letters)


def test_the_demo_kb_matches_typed_errors_as_the_full_scan_does() -> None:
    documents = [KbDocument(d.slug, 1, d.title, d.body) for d in read_folder(KB_DIR)]
    quotes = [message for d in documents for message in _QUOTED.findall(d.text)]
    rng = random.Random(20)
    texts = [f"{rng.choice(['', 'it says ', 'Gateway Berlin: '])}{_typo(rng.choice(quotes), rng)}"
             f"{rng.choice(['', ' since this morning', ' on my laptop at home'])}" for _ in range(300)]
    texts += ["My VPN does not connect from home", "the update says 0x800F0922 again", "it failed", ""]

    found = [match_step(text, documents) for text in texts]

    assert [None if m is None else (m.document.slug, m.number, m.error, m.score, m.by_code) for m in found] == \
        [_scanned(text, documents) for text in texts]
    assert sum(m is not None and not m.by_code for m in found) > 100  # most typed quotes are still found


def test_an_edited_article_is_read_again_for_its_new_messages() -> None:
    before = KbDocument("vpn-errors", 1, "VPN errors", '1. **"Authentication failed"**: retype your password.')
    after = KbDocument("vpn-errors", 2, "VPN errors", '1. **"Portal address not valid"**: check the address.')
    assert match_step("it says Authentication failed", [before]) is not None
    assert match_step("it says Authentication failed", [after]) is None
    found = match_step("Portal adress not valid", [after])
    assert found is not None and found.error == "Portal address not valid"

