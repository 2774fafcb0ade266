"""Article titles reorder the articles the text finds close, weighed by how well the KB's titles name them."""

from dataclasses import replace

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery
from deskpilot.assist.titles import TITLE_BAND, title_agreement, title_parts
from deskpilot.ml.embeddings import MiniLmEmbedder
from tests.assist.conftest import ARTICLES

# Two articles whose steps share the question's words; the title says which one the question is about.
NEIGHBOURS = [
    KbDocument("vpn-connect", 1, "Connect to the VPN from home",
               "1. Open GlobalProtect and sign in with your password.\n"
               "2. If the password was changed, type the changed password.\n"
               "3. If sign-in fails, check the password and sign in again."),
    KbDocument("vpn-after-password-change", 1, "VPN sign-in fails after a password change",
               "The laptop keeps cached credentials until it has seen the new ones.\n"
               "1. Lock the laptop on the office network and unlock it.\n"
               "2. Quit GlobalProtect and start it again."),
]

def _search(index: KbIndex, text: str, weight: float, language: str | None = "en") -> list[tuple[str, float]]:
    params = replace(RetrievalParams.tuned(index.tuning), title_weight=weight)
    result = HybridRetriever(index, params).search(RetrievalQuery(text), language=language)
    return [(hit.slug, round(hit.text_score, 4)) for hit in result.hits]


def test_titles_that_name_their_articles_agree_and_shared_titles_do_not(kb_index: KbIndex,
                                                                        embedder: MiniLmEmbedder) -> None:
    assert title_agreement(kb_index) >= 0.8
    shared = KbIndex(embedder)
    shared.add_documents([KbDocument(a.slug, 1, "IT service desk", a.text) for a in ARTICLES])
    assert title_agreement(shared) <= 0.2


def test_the_agreement_follows_the_index_when_articles_are_added(kb_index: KbIndex) -> None:
    before = title_agreement(kb_index)
    kb_index.add_documents([KbDocument(f"noise-{n}", 1, "Reception", "The canteen opens at noon.") for n in range(6)])
    assert title_agreement(kb_index) < before


def test_only_articles_close_to_the_best_without_titles_get_a_title_part() -> None:
    parts = title_parts({"a": 10.0, "b": 10.0 - TITLE_BAND / 2, "c": 10.0 - 2 * TITLE_BAND},
                        {"a": -0.5, "b": 3.0, "c": 5.0}, 2.0)
    assert parts == {"a": 0.0, "b": 6.0}
    assert title_parts({"a": 1.0}, {"a": 3.0}, 0.0) == {}


def test_the_title_reorders_close_articles_but_leaves_the_confidence_and_the_text_scores(
        embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder)
    index.add_documents([*ARTICLES, *NEIGHBOURS])
    question = "VPN does not work since my new password"
    retriever = HybridRetriever(index, replace(RetrievalParams.tuned(index.tuning), title_weight=2.0))
    titled = retriever.search(RetrievalQuery(question), language="en")
    plain = HybridRetriever(index, replace(retriever.params, title_weight=0.0)).search(RetrievalQuery(question),
                                                                                       language="en")
    assert (plain.hits[0].slug, titled.hits[0].slug) == ("vpn-connect", "vpn-after-password-change")
    assert titled.confidence == plain.confidence and titled.evidence == plain.evidence
    assert sorted((h.slug, h.text_score) for h in titled.hits) == sorted((h.slug, h.score) for h in plain.hits)
    assert all(abs(h.score - h.text_score - h.title) < 1e-6 for h in titled.hits)


def test_a_question_in_another_language_is_ranked_without_titles(kb_index: KbIndex) -> None:
    question = "mon imprimante a du papier coincé"
    assert _search(kb_index, question, 2.0, "fr") == _search(kb_index, question, 0.0, "fr")


def test_the_article_the_text_ranks_first_stays_among_the_articles_shown(embedder: MiniLmEmbedder) -> None:
    index = KbIndex(embedder)
    index.add_documents([*ARTICLES, *NEIGHBOURS])
    question = RetrievalQuery("VPN does not work since my new password")
    retriever = HybridRetriever(index, replace(RetrievalParams.tuned(index.tuning), title_weight=2.0))
    one = retriever.search(question, k=1, language="en")
    assert [hit.slug for hit in one.hits] == ["vpn-connect"]
    two = retriever.search(question, k=2, language="en")
    assert [hit.slug for hit in two.hits] == ["vpn-after-password-change", "vpn-connect"]
    assert two.text_top is not None and two.text_top.slug == "vpn-connect"
