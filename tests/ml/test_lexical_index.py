import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from deskpilot.ml.artifacts import ArtifactRefused
from deskpilot.ml.lexical_index import Bm25Index, term_weights, tokenize, tokenize_foreign

DOCS = {
    "vpn": "Reset the VPN token in the self-service portal",
    "printer": "Clear a paper jam: open the printer cover and pull the paper",
    "password": "Passwords expire every 90 days; change the password with Ctrl+Alt+Del",
    "mail": "The mailbox is full: archive old mail and empty deleted items",
}


def _reference_bm25(query: str, docs: dict[str, str], k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    """Textbook Okapi BM25 (Lucene idf), written independently of the index."""
    tokens = {d: tokenize(t) for d, t in docs.items()}
    avg = sum(len(t) for t in tokens.values()) / len(tokens)
    scores = {}
    for doc, words in tokens.items():
        tf = Counter(words)
        score = 0.0
        for term in set(tokenize(query)):
            df = sum(term in t for t in tokens.values())
            if tf[term]:
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                score += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * len(words) / avg))
        scores[doc] = score
    return scores


def _index() -> Bm25Index:
    index = Bm25Index()
    index.add(list(DOCS), list(DOCS.values()))
    return index


def test_scores_match_a_reference_bm25() -> None:
    query = "printer paper jam and password"
    expected = _reference_bm25(query, DOCS)
    for doc, score in _index().search(term_weights([(query, 1.0)]), 10):
        assert score == pytest.approx(expected[doc], rel=1e-5)


def test_removed_chunks_are_never_returned_and_statistics_follow() -> None:
    index = _index()
    index.remove(["printer"])
    remaining = {d: t for d, t in DOCS.items() if d != "printer"}
    assert [d for d, _ in index.search(term_weights([("paper jam printer", 1.0)]), 10)] == []
    expected = _reference_bm25("password mail", remaining)
    for doc, score in index.search(term_weights([("password mail", 1.0)]), 10):
        assert score == pytest.approx(expected[doc], rel=1e-5)


def test_many_small_additions_merge_segments_without_losing_chunks() -> None:
    index = Bm25Index()
    for n in range(30):
        index.add([f"c{n}"], [f"ticket number {n} about vpn"])
    index.remove(["c3", "c7"])
    hits = index.search(term_weights([("vpn", 1.0)]), 100)
    assert len(hits) == len(index) == 28
    assert {"c3", "c7"}.isdisjoint(d for d, _ in hits)


def test_weighted_terms_prefer_the_recent_turn() -> None:
    query = term_weights([("printer", 1.0), ("password", 0.3)])
    assert _index().search(query, 1)[0][0] == "printer"


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = _index()
    index.remove(["mail"])
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    query = term_weights([("password portal mail", 1.0)])
    before, after = index.search(query, 10), loaded.search(query, 10)
    assert [d for d, _ in after] == [d for d, _ in before]
    assert [s for _, s in after] == pytest.approx([s for _, s in before])
    assert len(loaded) == 3


def test_loading_something_else_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"kind": "bm25", "format_version": 99}')
    with pytest.raises(ArtifactRefused, match="rebuild"):
        Bm25Index.load(tmp_path)


def _corpus_index(rows: int = 3000) -> tuple[Bm25Index, list[str]]:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    # Zipf-like word use: a few very common words, many rare ones, as in real text.
    weights = 1 / np.arange(1, len(words) + 1)
    texts = [" ".join(rng.choice(words, size=int(rng.integers(5, 60)), p=weights / weights.sum()))
             for _ in range(rows)]
    index = Bm25Index()
    for first in range(0, rows, 250):  # several segments, as updates make them
        index.add([f"c{i}" for i in range(first, min(first + 250, rows))], texts[first : first + 250])
    return index, texts


def test_candidates_are_the_best_rows_with_the_spread_of_all_rows_scores() -> None:
    index, texts = _corpus_index()
    index.remove([f"c{i}" for i in range(0, 3000, 7)])
    for query in (texts[1][:40], "w0 w1 w2 w3 w250", texts[2000]):
        terms = term_weights([(query, 1.0)])
        exact = index.search(terms, 20)
        found = index.candidates(terms, 20, including=["c5", "c6"])
        assert found is not None
        assert found.ids[:2] == ["c5", "c6"]
        scores = dict(zip(found.ids, found.scores.tolist(), strict=True))
        assert {c for c, _ in exact} <= set(found.ids)
        for chunk_id, score in exact:
            assert abs(scores[chunk_id] - score) < 1e-4
        every = index.score_all(terms)
        assert every is not None
        live = every[index.live_rows()]
        assert abs(found.spread.mean - float(live.mean())) < 1e-4
        assert abs(found.spread.std - float(live.std())) < 1e-4


def test_a_fork_changes_without_touching_the_index_searches_are_using() -> None:
    index, texts = _corpus_index(600)
    terms = term_weights([(texts[3], 1.0)])
    before = index.search(terms, 5)
    changed = index.fork()
    changed.remove(["c3"])
    changed.add(["fresh"], [texts[3]])
    assert index.search(terms, 5) == before
    assert changed.search(terms, 1)[0][0] == "fresh" and "c3" not in changed


def test_a_second_fork_does_not_overwrite_the_first() -> None:
    index, texts = _corpus_index(600)
    first, second = index.fork(), index.fork()
    first.add(["first"], ["zebra crossing"])
    second.add(["second"], ["zebra stripes"])
    zebra = term_weights([("zebra", 1.0)])
    assert [c for c, _ in first.search(zebra, 5)] == ["first"]
    assert [c for c, _ in second.search(zebra, 5)] == ["second"]
    assert index.search(zebra, 5) == [] and len(index) == 600
    assert first.row_ids()[-1] == "first" and second.row_ids()[-1] == "second"


def test_one_article_updates_leave_the_large_segment_alone() -> None:
    rng = np.random.default_rng(3)
    index = Bm25Index()
    index.add([f"c{i}" for i in range(2000)], [f"printer toner w{rng.integers(500)}" for _ in range(2000)])
    large = index._segments[0]
    for n in range(200):
        index = index.fork()
        index.add([f"u{n}"], [f"update {n} about printer"])
    assert index._segments[0] is large
    assert len(index._segments) <= 1 + math.ceil(math.log2(200))
    assert {c for c, _ in index.search(term_weights([("update", 1.0)]), 500)} == {f"u{n}" for n in range(200)}


def test_a_foreign_question_keeps_whole_words_and_its_latin_loan_words() -> None:
    assert tokenize("nächste Woche") == ["n", "chste", "woch"]
    assert tokenize_foreign("nächste Woche") == ["nächste", "woch"]
    assert tokenize_foreign("l'imprimante est bloquée dans la file d'attente") == [
        "imprimant", "est", "bloqué", "dan", "la", "file", "attent"]
    assert tokenize_foreign("我的VPN连不上, Outlook 也不行") == ["vpn", "outlook"]
    assert term_weights([("Okta Verify für das neue Handy", 1.0)], foreign=True) == {
        "okta": 1.0, "verifi": 1.0, "für": 1.0, "das": 1.0, "neue": 1.0, "handi": 1.0}
