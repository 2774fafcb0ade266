"""Typos in a question, read against the words of the knowledge base it is searched in.

People type fast ("outlok not sincing", "wiifi not wroking"): a misspelt word matches no article's words and
embeds as a rarer token, so the search may find nothing. A word of the question that the KB does not use and
the English embedder does not know whole (`embeddings.whole_words`: a usual spelling, "blank", "boot"),
written in letters and at least `MIN_LENGTH` long, is matched with the KB words one edit away from it (a
letter dropped, added or changed; two letters swapped), the most frequent first. The correction is added to
the question, never put in its place: a right word the KB does not use is then only searched with a near
neighbour beside it. Pure; the vocabulary of an index is built once per index object.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from deskpilot.assist.index_store import KbIndex, chunk_text_for_search
from deskpilot.ml.embeddings import whole_words

MIN_LENGTH = 4
# Negations typed without their apostrophe are words, not typos of a KB word ("wont" is not "want").
_NEGATIONS = frozenset({"cant", "wont", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "havent",
                        "hasnt", "couldnt", "wouldnt", "shouldnt"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one dropped, added or changed letter, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


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
    """The KB's words with how often they occur, and the same words by each of their one-letter deletions."""

    counts: Counter[str]
    by_delete: dict[str, frozenset[str]]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(_words(text))
        by_delete: dict[str, set[str]] = {}
        for word in counts:
            if len(word) >= MIN_LENGTH - 1 and "-" not in word:
                for key in _deletes(word) | {word}:
                    by_delete.setdefault(key, set()).add(word)
        return cls(counts=counts, by_delete={k: frozenset(v) for k, v in by_delete.items()})

    def correction(self, word: str) -> str | None:
        """The KB word one edit away from `word` (the most frequent), when the KB does not use `word` itself."""
        if len(word) < MIN_LENGTH or word in self.counts or word in whole_words() or word in _NEGATIONS:
            return None
        candidates = {c for key in _deletes(word) | {word} for c in self.by_delete.get(key, ())}
        near = sorted((c for c in candidates if _one_edit(word, c)), key=lambda c: (-self.counts[c], c))
        return near[0] if near else None


def with_corrections(question: str, vocabulary: Vocabulary) -> str:
    """The question with the corrections of its misspelt words added after it; unchanged when it has none."""
    added: list[str] = []
    for word in _words(question):
        corrected = vocabulary.correction(word)
        if corrected is not None and corrected not in added:
            added.append(corrected)
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
