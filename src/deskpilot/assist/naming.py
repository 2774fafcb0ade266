"""How plainly a question names an article: the question's words found in the article's title and tags, each
weighed by how rare it is in the KB.

The cosine to the article's text (`Evidence.on_topic`) is the retriever's evidence of topic, and it misses a short
question that names the article's subject by its rarest words but says the rest its own way: a question about a
room's HDMI input has "hdmi" and "room", the meeting-room article's tag and title words, at a cosine of 0.25 to
that article, far under the evidence floor. The title and the tags are where an author names what an article is
about, so a question's rare words found there are evidence of topic.

A word weighs its BM25 idf over the KB's chunks relative to a word only one chunk holds (`Bm25Index.rarity`: the
index keeps those counts up to date, so nothing is gathered per index; a word only the tags hold weighs 1), and a
question names an article when its words in the title and tags weigh `NAMED_MIN`, more than one rare word's worth:
one shared word never names an article. Chosen on the demo KB against 600 CLINC150 questions out of the desk's
domain (docs/benchmarks.md, "Issue 14, evidence").
"""

from __future__ import annotations

from deskpilot.assist.index_store import KbDocument
from deskpilot.ml.lexical_index import Bm25Index, tokenize, tokenize_foreign

NAMED_MIN = 1.4


def question_words(question: str, *, foreign: bool) -> frozenset[str]:
    """The question's words as the titles are read (a question in another language keeps its accented words)."""
    return frozenset(tokenize_foreign(question) if foreign else tokenize(question))


def named_weight(words: frozenset[str], document: KbDocument, lexical: Bm25Index) -> float:
    """How many rare words' worth of `words` the article's title and tags hold."""
    named = words & set(tokenize(" ".join([document.title, *document.tags])))
    return sum(lexical.rarity(named).values())
