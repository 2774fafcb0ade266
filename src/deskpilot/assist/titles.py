"""Article titles as a ranking signal among the articles the text already finds close, weighed by how well the
KB's titles name their articles.

A question's words can match a neighbouring article's steps better than its own article's (a VPN question after a
password change shares "connect" and "VPN" with the connect articles' steps), while the title names what the
article is about. But titles do not name their articles in every KB: doc2dial's passages share their document's
section title, and title similarity there costs MRR (docs/benchmarks.md, "Title similarity weighted by how well
titles name their articles"). So the weight is scaled by the KB's **title agreement**, the share of (at most
`AGREEMENT_SAMPLE`) articles whose title's nearest chunk is one of their own (demo KB 0.99, StackFAQ 1.00,
doc2dial 0.075).

The title only reorders articles within `TITLE_BAND` of the best score without titles: a z-normalised title
cosine is large for some title whatever the question, so it must not lift an article the text does not support.
The confidence, the suggestions' margin, the device question and the answer spans' features read the score
without titles (`ArticleHit.text_score`): they were calibrated on it.
"""

from __future__ import annotations

import weakref
import zlib

from deskpilot.assist.index_store import KbIndex

AGREEMENT_SAMPLE = 200
# On the fused score without titles (a sum of weighted z-scores): the candidates of an unclear match are often
# this close, a clear winner leads by more (as `conversations.suggestions.SCORE_MARGIN`).
TITLE_BAND = 1.0

_agreements: weakref.WeakKeyDictionary[KbIndex, tuple[tuple[int, int], float]] = weakref.WeakKeyDictionary()


def title_agreement(index: KbIndex) -> float:
    """The share of a fixed sample of articles whose title vector is closest to one of their own chunks.

    Kept per index until its numbers of articles or chunks change: an edit that keeps both barely moves it."""
    size = (len(index.documents), len(index.chunks))
    known = _agreements.get(index)
    if known is not None and known[0] == size:
        return known[1]
    slugs = sorted((s for s in index.documents if s in index.titles),
                   key=lambda s: zlib.crc32(s.encode()))[:AGREEMENT_SAMPLE]
    own = 0
    for slug in slugs:
        nearest = index.vectors.search(index.titles.vector(slug), 1)
        own += bool(nearest) and index.chunks[nearest[0][0]].slug == slug
    agreement = own / len(slugs) if slugs else 0.0
    _agreements[index] = (size, agreement)
    return agreement


def title_parts(text_scores: dict[str, float], titles: dict[str, float], weight: float) -> dict[str, float]:
    """Per article: what its title adds to its score, `weight` times its title's z-scored cosine when above the
    mean, for the articles within `TITLE_BAND` of the best score without titles; the others get nothing. Never
    negative, so a close article is never pushed under one outside the band."""
    if not text_scores or weight == 0.0:
        return {}
    best = max(text_scores.values())
    return {slug: weight * max(titles.get(slug, 0.0), 0.0) for slug, score in text_scores.items()
            if best - score <= TITLE_BAND}
