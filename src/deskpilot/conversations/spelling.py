"""Typos in a question, read against the words of the knowledge base it is searched in.

People type fast ("outlok not sincing", "wiifi not wroking", "dissapear", "out look", "cantprint"): a misspelt
word matches no article's words and embeds as a rarer token, so the search may find nothing. A word of the
question that the KB does not use and the English embedder does not know whole (`embeddings.whole_words`: a usual
spelling, "blank", "boot"), written in letters and at least `MIN_LENGTH` long, is matched with the KB words one
edit away from it (a letter dropped, added or changed; two neighbours swapped), or two edits away when it is at
least `TWO_EDITS_LENGTH` long (a long word holds two slips as easily as a short one holds one). Among equally
near words, one whose changed letter is a keyboard neighbour of the typed one comes first, then the most frequent.
A word typed in two ("out look", "one drive") gets the KB word the two make together; a word typed together with the
next ("cantprint") gets the two KB words it splits into. Every correction is added to the question, never put
in its place: a right word the KB does not use is then only searched with a near neighbour beside it. Pure; the
vocabulary of an index is built once per index object.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from deskpilot.assist.index_store import KbIndex, chunk_text_for_search
from deskpilot.ml.embeddings import whole_words

MIN_LENGTH = 4
# Two edits only in words this long, and only to a KB word with the same first letter (people rarely slip on the
# first one): "dissapear" → "disappear", "bitlokcer" → "bitlocker", while "beleive" is not read as "receive".
TWO_EDITS_LENGTH = 7
# The parts a joined word splits into are KB words at least this long ("cantprint" → "cant print" is not
# read, nor "dropbox" as "drop box"; "wifipassword" → "wifi password" is).
PART_LENGTH = 4
# Negations typed without their apostrophe are words, not typos of a KB word ("wont" is not "want").
_NEGATIONS = frozenset({"cant", "wont", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "havent",
                        "hasnt", "couldnt", "wouldnt", "shouldnt"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_POSITION = {key: (row, column) for row, keys in enumerate(_ROWS) for column, key in enumerate(keys)}


def keyboard_neighbours(a: str, b: str) -> bool:
    """Whether keys `a` and `b` touch on a QWERTY keyboard (same row side by side, or the rows above/below)."""
    if a not in _POSITION or b not in _POSITION or a == b:
        return False
    (row_a, col_a), (row_b, col_b) = _POSITION[a], _POSITION[b]
    if row_a == row_b:
        return abs(col_a - col_b) == 1
    # Rows are staggered: a key touches the key above it and the one above to its right.
    upper, lower = ((col_a, col_b) if row_a < row_b else (col_b, col_a))
    return abs(row_a - row_b) == 1 and lower <= upper <= lower + 1


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: letters dropped, added or changed, and neighbours swapped, count 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _slips_on_keyboard(typed: str, meant: str) -> bool:
    """Whether `typed` differs from `meant` only by letters changed into keyboard neighbours (same length)."""
    if len(typed) != len(meant):
        return False
    pairs = [(t, m) for t, m in zip(typed, meant, strict=True) if t != m]
    return bool(pairs) and all(keyboard_neighbours(t, m) for t, m in pairs)


def _words(text: str) -> list[str]:
    """Lower-case words; "Wi-Fi" gives "wi-fi" and also "wifi", as people write it both ways."""
    found: list[str] = []
    for word in _WORD.findall(text.lower()):
        found.append(word)
        if "-" in word:
            found.append(word.replace("-", ""))
    return found


@dataclass(frozen=True)
class Vocabulary:
    """The KB's words with how often they occur, and the same words by each of their one- and two-letter
    deletions (a word and a typo of it share a deletion when they are that many edits apart)."""

    counts: Counter[str]
    by_delete: dict[str, frozenset[str]]
    # Words the KB writes whole (not only as "Wi-Fi" → "wifi"): a word typed in two joins only into these, as the
    # search already matches the two halves of a hyphenated word.
    written_whole: frozenset[str] = frozenset()
    # How often the KB writes two words side by side: "my account" is two words in the KB more often than the
    # "myaccount" of an address, so it is not joined; "out look" never is, so it is.
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        whole: set[str] = set()
        pairs: Counter[tuple[str, str]] = Counter()
        for text in texts:
            counts.update(_words(text))
            written = _WORD.findall(text.lower())
            whole.update(written)
            pairs.update(zip(written, written[1:], strict=False))
        by_delete: dict[str, set[str]] = {}
        for word in counts:
            if len(word) >= MIN_LENGTH - 1 and "-" not in word:
                keys = _deletes(word) | {word}
                if len(word) >= TWO_EDITS_LENGTH - 1:
                    keys |= {twice for once in _deletes(word) for twice in _deletes(once)}
                for key in keys:
                    by_delete.setdefault(key, set()).add(word)
        return cls(counts=counts, by_delete={k: frozenset(v) for k, v in by_delete.items()},
                   written_whole=frozenset(w for w in whole if "-" not in w), pairs=pairs)

    def _unknown(self, word: str) -> bool:
        """A word the KB does not use and that is not a usual English spelling or a negation."""
        return word not in self.counts and word not in whole_words() and word not in _NEGATIONS

    def correction(self, word: str) -> str | None:
        """The nearest KB word to `word` (one edit, or two for a long word), when the KB does not use `word`."""
        if len(word) < MIN_LENGTH or not self._unknown(word):
            return None
        edits = 2 if len(word) >= TWO_EDITS_LENGTH else 1
        keys = _deletes(word) | {word}
        if edits == 2:
            keys |= {twice for once in _deletes(word) for twice in _deletes(once)}
        candidates = {c for key in keys for c in self.by_delete.get(key, ())}
        near = [(distance, c) for c in candidates if 0 < (distance := edit_distance(word, c)) <= edits
                and (distance == 1 or c[0] == word[0])]
        if not near:
            return None
        return min(near, key=lambda dc: (dc[0], not _slips_on_keyboard(word, dc[1]), -self.counts[dc[1]], dc[1]))[1]

    def joined(self, first: str, second: str) -> str | None:
        """The KB word that two typed words make together ("out look" → "outlook"), when the KB writes it whole
        more often than as the two words."""
        together = first + second
        if len(together) <= MIN_LENGTH or together not in self.written_whole:
            return None
        return together if self.counts[together] > self.pairs[(first, second)] else None

    def split(self, word: str) -> tuple[str, str] | None:
        """The two KB words a word typed without its space splits into ("wifipassword" → "wifi", "password")."""
        if len(word) < 2 * PART_LENGTH or not self._unknown(word) or "-" in word:
            return None
        splits = [(word[:i], word[i:]) for i in range(PART_LENGTH, len(word) - PART_LENGTH + 1)
                  if word[:i] in self.counts and word[i:] in self.counts]
        if not splits:
            return None
        return max(splits, key=lambda parts: (min(self.counts[p] for p in parts), parts))


def with_corrections(question: str, vocabulary: Vocabulary) -> str:
    """The question with the corrections of its misspelt words added after it; unchanged when it has none."""
    added: list[str] = []

    def add(word: str) -> None:
        if word not in added:
            added.append(word)

    words = _words(question)
    for position, word in enumerate(words):
        corrected = vocabulary.correction(word)
        if corrected is not None:
            add(corrected)
        elif (parts := vocabulary.split(word)) is not None:
            for part in parts:
                add(part)
        if position + 1 < len(words) and (together := vocabulary.joined(word, words[position + 1])) is not None:
            add(together)
    return f"{question} ({' '.join(added)})" if added else question


_vocabularies: weakref.WeakKeyDictionary[KbIndex, Vocabulary] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def vocabulary_of(index: KbIndex) -> Vocabulary:
    """The vocabulary of the index's chunks as they are searched (titles, headings and text), built once."""
    with _lock:
        vocabulary = _vocabularies.get(index)
        if vocabulary is None:
            vocabulary = Vocabulary.of(chunk_text_for_search(index.documents[c.slug], c)
                                       for c in index.chunks.values())
            _vocabularies[index] = vocabulary
        return vocabulary
