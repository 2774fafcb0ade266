"""How plainly a question names an article: the question's words found in the article's title and tags, each
weighed by how rare it is among the KB's titles and tags.

The cosine to the article's text (`Evidence.on_topic`) is the retriever's evidence of topic, and it misses a short
question that names the article's subject by its rarest words but says the rest its own way: a question about a
room's HDMI input has "hdmi" and "room", the meeting-room article's tag and title words, at a cosine of 0.25 to
that article, far under the evidence floor. The title and the tags are where an author names what an article is
about, so a question's words found there, and in few other articles' titles and tags, are evidence of topic.

The weight of a word is its BM25 idf over the articles' title-and-tags fields relative to a word that only one
article has, so a word of one article weighs 1 and a word every VPN article has weighs less; a question names an
article when its matched words weigh `NAMED_MIN` (more than one rare word's worth: one shared word never names
an article). Chosen on the demo KB against 600 CLINC150 questions out of the desk's domain (docs/benchmarks.md,
"Issue 14, evidence").
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter
from collections.abc import Iterable

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.ml.lexical_index import tokenize, tokenize_foreign

NAMED_MIN = 1.7


class TitleTerms:
    """The title-and-tags words of each article and how many articles have each word."""

    def __init__(self, documents: Iterable[KbDocument]) -> None:
        self.fields = {d.slug: frozenset(tokenize(" ".join([d.title, *d.tags])))
                       for d in documents}
        self.frequency = Counter(term for terms in self.fields.values() for term in terms)
        self.rarest = self._idf(1)

    def _idf(self, frequency: int) -> float:
        total = len(self.fields)
        return math.log((total - frequency + 0.5) / (frequency + 0.5) + 1.0)

    def weight(self, terms: Iterable[str], slug: str) -> float:
        """How many rare words' worth of `terms` the article's title and tags hold (0 for an unknown article)."""
        field = self.fields.get(slug, frozenset())
        return sum(self._idf(self.frequency[t]) for t in set(terms) if t in field) / self.rarest


_title_terms: weakref.WeakKeyDictionary[KbIndex, TitleTerms] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def title_terms_of(index: KbIndex) -> TitleTerms:
    """The title-and-tags words of the index's articles, gathered once per index."""
    with _lock:
        terms = _title_terms.get(index)
        if terms is None:
            terms = TitleTerms(index.documents.values())
            _title_terms[index] = terms
        return terms


def question_terms(question: str, *, foreign: bool) -> list[str]:
    """The question's words as the titles are read (a question in another language keeps its accented words)."""
    return tokenize_foreign(question) if foreign else tokenize(question)
