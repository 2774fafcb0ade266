import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from deskpilot.assist.history import PastQuestion
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.naming import NAMED_MIN
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery
from deskpilot.ml.embeddings import MiniLmEmbedder
from deskpilot.ml.lexical_index import Bm25Index, term_weights
from tests.assist.conftest import ARTICLES

QUESTIONS = [
    ("how do I get a new vpn code on my phone", "vpn-reset"),
    ("the printer has paper stuck inside", "printer-jam"),
    ("windows says my password has expired", "password-expired"),
    ("outlook tells me there is no space left for email", "mailbox-full"),
    ("a visitor needs internet", "wifi-guest"),
    ("my computer is really sluggish", "laptop-slow"),
]


def _slugs(retriever: HybridRetriever, text: str, context: str = "") -> list[str]:
    return [h.slug for h in retriever.search(RetrievalQuery.from_dialogue(text, context)).hits]


def test_hybrid_search_matches_or_beats_plain_bm25_on_paraphrased_questions(kb_index: KbIndex) -> None:
    bm25 = Bm25Index()
    bm25.add([a.slug for a in ARTICLES], [f"{a.title}\n{a.text}" for a in ARTICLES])
    retriever = HybridRetriever(kb_index)
    ours = sum(_slugs(retriever, q)[:1] == [slug] for q, slug in QUESTIONS)
    baseline = sum([d for d, _ in bm25.search(term_weights([(q, 1.0)]), 1)] == [slug] for q, slug in QUESTIONS)
    assert ours >= baseline
    assert ours >= 5


def test_hits_carry_best_chunks_and_a_probability_confidence(kb_index: KbIndex) -> None:
    result = HybridRetriever(kb_index).search(RetrievalQuery.from_dialogue("reset my vpn token"))
    assert result.hits[0].slug == "vpn-reset"
    assert result.hits[0].chunks[0].chunk.slug == "vpn-reset"
    assert 0.0 < result.confidence < 1.0


def test_dialogue_context_resolves_a_vague_follow_up(kb_index: KbIndex) -> None:
    context = "agent:Open the front cover and pull the paper out || user:my printer jammed"
    assert _slugs(HybridRetriever(kb_index), "it is still blinking, what now?", context)[0] == "printer-jam"


def test_only_documents_passed_in_are_retrievable_and_a_retired_one_never_returns(
    embedder: MiniLmEmbedder,
) -> None:
    index = KbIndex(embedder)
    index.add_documents([a for a in ARTICLES if a.slug != "wifi-guest"])
    retriever = HybridRetriever(index)
    assert "wifi-guest" not in _slugs(retriever, "guest wifi voucher for a visitor")
    index.remove_documents(["printer-jam"])
    for question in ["paper jam in the printer", "printer front cover jam light"]:
        assert "printer-jam" not in _slugs(retriever, question)


def test_a_new_version_replaces_the_old_one(kb_index: KbIndex) -> None:
    old = next(a for a in ARTICLES if a.slug == "wifi-guest")
    kb_index.add_documents([KbDocument(old.slug, 2, old.title, "Guests ask reception for a day pass code.")])
    hit = HybridRetriever(kb_index).search(RetrievalQuery.from_dialogue("guest wifi code")).hits[0]
    assert (hit.slug, hit.document.version) == ("wifi-guest", 2)
    assert all(c.chunk.version == 2 for c in hit.chunks)


def test_past_questions_vote_for_the_article_that_answered_them(kb_index: KbIndex) -> None:
    retriever = HybridRetriever(kb_index)
    question = "the thing on my desk keeps eating sheets"
    past = ["the thing on my desk keeps eating sheets of paper", "my desk thing eats my sheets", question]
    retriever.learn_history([PastQuestion(RetrievalQuery(t), "printer-jam") for t in past])
    assert _slugs(retriever, question)[0] == "printer-jam"


def test_past_questions_are_kept_by_key_and_forgotten_with_their_article(kb_index: KbIndex) -> None:
    question = "the thing on my desk keeps eating sheets"
    retriever = HybridRetriever(kb_index)
    retriever.learn_history([PastQuestion(RetrievalQuery("my laptop crawls"), "laptop-slow")])
    retriever.learn_history([PastQuestion(RetrievalQuery(question), "printer-jam", key="ticket:7:printer-jam"),
                             PastQuestion(RetrievalQuery(question), "printer-jam", key="ticket:7:printer-jam")])
    assert kb_index.history.learned() == {"q0": "laptop-slow", "ticket:7:printer-jam": "printer-jam"}
    kb_index.remove_documents(["laptop-slow"])
    # A question learned after forgetting must not take the place of one still held.
    retriever.learn_history([PastQuestion(RetrievalQuery("visitors want wifi"), "wifi-guest")])
    assert kb_index.history.learned() == {"ticket:7:printer-jam": "printer-jam", "q1": "wifi-guest"}
    top = HybridRetriever(kb_index).search(RetrievalQuery(question)).hits[0]
    assert (top.slug, top.past_questions) == ("printer-jam", ("ticket:7:printer-jam",)) and top.history > 0


def test_the_explanation_splits_the_top_articles_score_into_its_signals(kb_index: KbIndex) -> None:
    retriever = HybridRetriever(kb_index)
    retriever.learn_history([PastQuestion(RetrievalQuery("paper is stuck in the printer"), "printer-jam",
                                          key="deflection:3")])
    result = retriever.search(RetrievalQuery("paper stuck in the printer"))
    explained = result.explanation()
    assert explained["slug"] == "printer-jam" and explained["past_questions"] == ["deflection:3"]
    parts = explained["bm25"] + explained["dense"] + explained["history"] + explained["title"]
    assert abs(parts - explained["score"]) < 1e-3
    assert explained["bm25"] > 0 and explained["dense"] > 0 and explained["history"] > 0


def test_index_round_trip_through_plain_files(kb_index: KbIndex, embedder: MiniLmEmbedder, tmp_path: Path) -> None:
    kb_index.remove_documents(["laptop-slow"])
    HybridRetriever(kb_index).learn_history([PastQuestion(RetrievalQuery("sheets get eaten"), "printer-jam",
                                                          key="deflection:1")])
    kb_index.save(tmp_path / "kb")
    loaded = KbIndex.load(tmp_path / "kb", embedder)
    assert sorted(loaded.documents) == sorted(kb_index.documents)
    assert loaded.history.learned() == {"deflection:1": "printer-jam"}
    query = RetrievalQuery.from_dialogue("clear paper jam")
    original = HybridRetriever(kb_index).search(query)
    again = HybridRetriever(loaded).search(query)
    assert [h.slug for h in again.hits] == [h.slug for h in original.hits]
    assert abs(again.confidence - original.confidence) < 1e-5
    assert again.hits[0].past_questions == original.hits[0].past_questions


def test_an_index_saved_before_history_existed_loads_with_none(kb_index: KbIndex, embedder: MiniLmEmbedder,
                                                               tmp_path: Path) -> None:
    kb_index.save(tmp_path / "kb")
    shutil.rmtree(tmp_path / "kb" / "history")
    loaded = KbIndex.load(tmp_path / "kb", embedder)
    assert sorted(loaded.documents) == sorted(kb_index.documents) and len(loaded.history) == 0


def test_tags_survive_a_round_trip_apart_from_the_documents_and_an_index_without_them_loads_untagged(
        kb_index: KbIndex, embedder: MiniLmEmbedder, tmp_path: Path) -> None:
    guest = kb_index.documents["wifi-guest"]
    kb_index.add_documents([replace(guest, version=2, tags=("wifi", "byod"))])
    kb_index.save(tmp_path / "kb")
    # documents.json stays as a version without tags reads it, so a rollback still loads the index.
    assert '"tags"' not in (tmp_path / "kb" / "documents.json").read_text(encoding="utf-8")
    assert KbIndex.load(tmp_path / "kb", embedder).documents["wifi-guest"].tags == ("wifi", "byod")
    (tmp_path / "kb" / "tags.json").unlink()
    assert KbIndex.load(tmp_path / "kb", embedder).documents["wifi-guest"].tags == ()


def test_a_hit_carries_how_plainly_the_question_names_it_by_title_and_tags(kb_index: KbIndex) -> None:
    guest = kb_index.documents["wifi-guest"]
    kb_index.add_documents([replace(guest, version=2, tags=("wifi", "byod"))])
    hits = HybridRetriever(kb_index).search(RetrievalQuery.from_dialogue("byod wifi for my own tablet")).hits
    named = {h.slug: h.named for h in hits}
    assert named["wifi-guest"] >= NAMED_MIN and all(w < NAMED_MIN for s, w in named.items() if s != "wifi-guest")


def test_the_lexical_weight_scales_what_bm25_adds_to_the_ranking(kb_index: KbIndex) -> None:
    tuned = RetrievalParams.tuned(kb_index.tuning)
    query = RetrievalQuery.from_dialogue("paper jam in the printer")
    full = HybridRetriever(kb_index, tuned).search(query).hits[0].chunks[0]
    half = HybridRetriever(kb_index, replace(tuned, lexical_weight=0.5)).search(query).hits[0].chunks[0]
    vectors_only = HybridRetriever(kb_index, replace(tuned, lexical_weight=0.0)).search(query).hits[0].chunks[0]
    assert full.lexical > 0 and half.lexical == pytest.approx(full.lexical / 2, rel=1e-5)
    assert vectors_only.lexical == 0 and vectors_only.score == pytest.approx(vectors_only.dense)


def test_a_question_in_another_language_keeps_its_accented_words_whole(embedder: MiniLmEmbedder) -> None:
    # The English tokenizer cuts "nächste" into "n" and "chste"; the "n" then matched the shortcut article.
    index = KbIndex(embedder)
    index.add_documents([*ARTICLES, KbDocument("shortcuts", 1, "Keyboard shortcuts", "Press N for a new window.")])
    query = RetrievalQuery.from_dialogue("Was muss ich nächste Woche beantragen?")

    def shortcuts_lexical(language: str | None) -> float:
        hits = HybridRetriever(index).search(query, k=len(index), language=language).hits
        return next(h.chunks[0].lexical for h in hits if h.slug == "shortcuts")

    assert shortcuts_lexical(None) > 1.0
    assert shortcuts_lexical("de") == pytest.approx(0.0)
