"""Above `ann_min_chunks` the KB index searches through IVF lists (faiss); tests lower the threshold to one chunk."""

from pathlib import Path

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.ml.embeddings import MiniLmEmbedder
from tests.assist.conftest import ARTICLES
from tests.assist.test_retrieval import QUESTIONS


def _ranking(index: KbIndex, question: str) -> list[str]:
    return [h.slug for h in HybridRetriever(index).search(RetrievalQuery.from_dialogue(question)).hits[:3]]


def test_above_the_threshold_search_is_approximate_and_ranks_like_exact_search(
        kb_index: KbIndex, embedder: MiniLmEmbedder) -> None:
    approximate = KbIndex(embedder, ann_min_chunks=1)
    approximate.add_documents(ARTICLES)
    assert approximate.approximate and not kb_index.approximate
    for question, slug in QUESTIONS:
        assert _ranking(approximate, question) == _ranking(kb_index, question)
        assert _ranking(approximate, question)[0] == slug


def test_below_the_threshold_search_stays_exact(embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder, ann_min_chunks=len(ARTICLES) + 100)
    index.add_documents(ARTICLES)
    assert not index.approximate


def test_a_one_article_change_is_searchable_at_once_in_the_approximate_index(embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder, ann_min_chunks=1)
    index.add_documents(ARTICLES)
    index.add_documents([KbDocument("badge-lost", 1, "Lost access badge",
                                    "Report a lost building badge to reception; they block it and print a new one.")])
    assert _ranking(index, "I lost my access badge")[0] == "badge-lost"
    index.remove_documents(["badge-lost"])
    assert "badge-lost" not in _ranking(index, "I lost my access badge")


def test_a_new_version_embeds_only_the_text_that_changed(embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder, ann_min_chunks=1)
    index.add_documents(ARTICLES)
    before = index.embedded_texts
    printer = ARTICLES[1]
    index.add_documents([KbDocument(printer.slug, 2, printer.title, printer.text)])
    assert index.embedded_texts == before
    index.add_documents([KbDocument(printer.slug, 3, printer.title, printer.text + " Never use scissors.")])
    assert index.embedded_texts == before + 1
    assert _ranking(index, "the printer has paper stuck inside")[0] == printer.slug


def test_the_approximate_index_is_saved_and_loaded_as_such(embedder: MiniLmEmbedder, tmp_path: Path) -> None:
    index = KbIndex(embedder, ann_min_chunks=1)
    index.add_documents(ARTICLES)
    index.remove_documents(["wifi-guest"])
    index.save(tmp_path / "kb")
    loaded = KbIndex.load(tmp_path / "kb", embedder, ann_min_chunks=1)
    assert loaded.approximate
    for question, _ in QUESTIONS:
        assert _ranking(loaded, question) == _ranking(index, question)


def test_a_private_copy_of_the_approximate_index_changes_without_touching_the_original(
        embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder, ann_min_chunks=1)
    index.add_documents(ARTICLES)
    changed = index.fork()
    changed.remove_documents(["printer-jam"])
    assert "printer-jam" not in _ranking(changed, "the printer has paper stuck inside")
    assert _ranking(index, "the printer has paper stuck inside")[0] == "printer-jam"


def test_two_forks_of_the_index_keep_their_own_articles(embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder, ann_min_chunks=1)
    index.add_documents(ARTICLES)
    badge = index.fork()
    badge.add_documents([KbDocument("badge-lost", 1, "Lost access badge",
                                    "Report a lost building badge to reception; they block it and print a new one.")])
    parking = index.fork()
    parking.add_documents([KbDocument("parking", 1, "Parking permit",
                                      "Ask facilities for a parking permit; it is valid for one year.")])
    parking.remove_documents(["printer-jam"])
    assert _ranking(badge, "I lost my access badge")[0] == "badge-lost" and "parking" not in badge.documents
    assert _ranking(parking, "how do I get a parking permit")[0] == "parking" and "badge-lost" not in parking.documents
    assert "printer-jam" in badge.documents and "printer-jam" not in parking.chunks_of("printer-jam")
    assert _ranking(index, "the printer has paper stuck inside")[0] == "printer-jam"
    assert {"badge-lost", "parking"}.isdisjoint(index.documents) and len(index.chunks) == sum(
        len(index.chunks_of(a.slug)) for a in ARTICLES)
