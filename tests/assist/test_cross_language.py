"""A question not in English is also searched as its English rendering by the IT glossary, in the English index the
multilingual view was made from; English questions, and questions the glossary cannot render, are searched as
before; a translation's chunks get their original's English score."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from deskpilot.assist.cross_language import EnglishQuery, english_query, english_scores
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID
from deskpilot.ml.multilingual import load_multilingual_embedder
from deskpilot.runtime import AiRuntime

DOCUMENTS = [
    KbDocument("wifi-guest", 1, "Wi-Fi for visitors (NW-Guest)",
               "Guests get a voucher code as the password of the guest Wi-Fi at reception."),
    KbDocument("wifi-roam", 1, "Wi-Fi at partner sites (NW-Roam)",
               "At partner sites and co-working spaces connect to NW-Roam with your account."),
    KbDocument("drive", 1, "Request access to a shared drive or folder",
               "Ask the folder's owner for access to the network drive in the IT portal."),
    KbDocument("drive-de", 1, "Zugriff auf ein Netzlaufwerk beantragen",
               "Bitten Sie den Besitzer des Ordners um Zugriff.", language="de", translation_of="drive"),
]


def _view(ai_runtime: AiRuntime) -> KbIndex:
    multilingual = load_multilingual_embedder(MULTILINGUAL_MODEL_ID)
    assert multilingual is not None
    index = KbIndex(ai_runtime.embedder, multilingual=multilingual)
    index.add_documents(DOCUMENTS)
    view = index.cross_lingual()
    assert view is not None and view.english is index
    return view


def test_only_a_question_not_in_english_that_the_glossary_renders_is_searched_as_english(
        ai_runtime: AiRuntime) -> None:
    view = _view(ai_runtime)
    turns = [("¿Cuál es la clave del wifi para invitados?", 1.0)]
    found = english_query(view, "es", turns, turns)
    assert found is not None and found.index is view.english
    assert {"password", "guest", "wifi"} <= set(found.terms)
    assert english_query(view, "en", turns, turns) is None and english_query(view, None, turns, turns) is None
    assert english_query(view.english, "es", turns, turns) is None  # the English index itself has no English side
    nothing = [("¿Qué hay hoy en el comedor?", 1.0)]
    assert english_query(view, "es", nothing, nothing) is None


def test_english_questions_rank_and_score_as_without_the_glossary(ai_runtime: AiRuntime) -> None:
    view = _view(ai_runtime)
    english = view.english
    assert english is not None
    query = RetrievalQuery("what is the password of the guest wifi?")
    with_glossary = HybridRetriever(english).search(query, k=3)
    without = HybridRetriever(english, replace(RetrievalParams.tuned(english.tuning), glossary_weight=0.0)).search(
        query, k=3)
    assert [(h.slug, h.score) for h in with_glossary.hits] == [(h.slug, h.score) for h in without.hits]
    assert with_glossary.confidence == without.confidence


def test_a_translations_chunks_get_the_english_score_of_their_originals_best(ai_runtime: AiRuntime) -> None:
    view = _view(ai_runtime)
    turns = [("Ich brauche Zugriff auf das Netzlaufwerk", 1.0)]
    found = english_query(view, "de", turns, turns)
    assert isinstance(found, EnglishQuery)
    ids = view.vectors.row_ids()
    slugs = [view.chunks[c].slug if c is not None else "" for c in ids]
    live = np.asarray([c is not None for c in ids], dtype=bool)
    scores = english_scores(found, ids, live, slugs, {"drive-de": "drive"}, 1.3, 1.0)
    original = max(float(scores[row]) for row, slug in enumerate(slugs) if slug == "drive")
    assert all(float(scores[row]) == original for row, slug in enumerate(slugs) if slug == "drive-de")
    assert original == max(float(scores[row]) for row, slug in enumerate(slugs) if slug != "drive-de")


def test_spanish_and_chinese_questions_reach_the_english_article_their_words_name(ai_runtime: AiRuntime) -> None:
    view = _view(ai_runtime)
    for text, language, slug in (("¿Cuál es la clave del wifi para invitados?", "es", "wifi-guest"),
                                 ("我需要共享文件夹的访问权限", "zh", "drive"),
                                 ("访客怎么连接无线网络？", "zh", "wifi-guest")):
        hits = HybridRetriever(view).search(RetrievalQuery(text), k=3, language=language).hits
        assert hits[0].slug == slug, text
