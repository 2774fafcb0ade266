"""One artifact contract: every saved model and index carries one manifest, is refused with one error naming
what to do when another version or another embedder made it, and keeps the thresholds tuned to its embedder."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from deskpilot.assist.compose import shipped_scorer
from deskpilot.assist.history import QuestionHistory
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.assist.span_scorer import SpanScorer
from deskpilot.conversations import intents
from deskpilot.ml.artifacts import MANIFEST, ArtifactKind, ArtifactRefused, read_manifest, write_manifest
from deskpilot.ml.embeddings import Vectors
from deskpilot.ml.lexical_index import Bm25Index
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID
from deskpilot.ml.text_classifier import ClassifierConfig, TextClassifier
from deskpilot.ml.tuning import tuning_for
from deskpilot.ml.vector_index import ExactVectorIndex
from deskpilot.triage.similar import TicketIndex, TicketVectors
from tests.ml.conftest import TokenHashEmbedder

DOCUMENTS = [
    KbDocument("printer-jam", 1, "Clear a paper jam", "Open the front cover and pull the jammed paper out slowly."),
    KbDocument("vpn-reset", 1, "Reset your VPN token", "Open the self-service portal and choose Reset VPN token."),
]


class OtherEmbedder(TokenHashEmbedder):
    model_id = "some-other-encoder"


class HashPassageEmbedder(TokenHashEmbedder):
    """Stands in for the multilingual embedder (same model id, so its tuned thresholds apply)."""

    model_id = MULTILINGUAL_MODEL_ID

    def encode_passages(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        return self.encode(texts, batch_size=batch_size)


def _saved_index(directory: Path, embedder: TokenHashEmbedder) -> KbIndex:
    index = KbIndex(embedder, multilingual=HashPassageEmbedder())
    index.add_documents(DOCUMENTS)
    assert index.cross_lingual() is not None
    index.save(directory)
    return index


def _rewrite(directory: Path, **fields: object) -> None:
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    (directory / MANIFEST).write_text(json.dumps(manifest | fields), encoding="utf-8")


def test_one_manifest_names_kind_version_embedder_and_thresholds(tmp_path: Path) -> None:
    kind = ArtifactKind("example", 1, "an example", "make it again")
    write_manifest(tmp_path, kind, embedder_model_id="enc", thresholds={"floor": 0.5}, details={"rows": 3})
    manifest = read_manifest(tmp_path, kind, embedder_model_id="enc")
    assert (manifest.thresholds, manifest.details["rows"]) == ({"floor": 0.5}, 3)
    assert manifest.details["deskpilot_version"]
    with pytest.raises(ArtifactRefused, match=r"not an example \(no manifest.json\); make it again"):
        read_manifest(tmp_path / "missing", kind, embedder_model_id="enc")
    with pytest.raises(ArtifactRefused, match="expects 'other' format version 1"):
        read_manifest(tmp_path, ArtifactKind("other", 1, "another", "make it again"), embedder_model_id="enc")
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactRefused, match="unreadable manifest.json"):
        read_manifest(tmp_path, kind, embedder_model_id="enc")


def test_triage_model_of_another_version_or_embedder_is_refused(hash_embedder: TokenHashEmbedder,
                                                                tmp_path: Path) -> None:
    trained_classifier = TextClassifier(embedder=hash_embedder).train(*intents.training_examples())
    trained_classifier.save(tmp_path)
    assert TextClassifier.load(tmp_path, embedder=hash_embedder).threshold == trained_classifier.threshold
    with pytest.raises(ArtifactRefused, match="'some-other-encoder' is in use; retrain it with `deskpilot train"):
        TextClassifier.load(tmp_path, embedder=OtherEmbedder())
    _rewrite(tmp_path, format_version=2)
    with pytest.raises(ArtifactRefused, match="format version 2.*deskpilot train triage"):
        TextClassifier.load(tmp_path, embedder=hash_embedder)


def test_a_model_trained_without_sentence_vectors_loads_whatever_the_runtime_embedder(
        hash_embedder: TokenHashEmbedder, tmp_path: Path) -> None:
    lexical = TextClassifier(ClassifierConfig(embeddings=False)).train(*intents.training_examples())
    lexical.save(tmp_path)
    assert json.loads((tmp_path / MANIFEST).read_text())["embedder_model_id"] is None
    loaded = TextClassifier.load(tmp_path, embedder=hash_embedder)
    assert loaded.predict(["hello there"]) == lexical.predict(["hello there"])


def test_intent_model_is_refused_the_same_way_and_trained_again(hash_embedder: TokenHashEmbedder,
                                                                tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "intents"
    model = intents.load_stored_or_train(directory, hash_embedder)
    assert intents.IntentClassifier.load(directory, embedder=hash_embedder).threshold == model.threshold
    with pytest.raises(ArtifactRefused, match="trained again from the shipped phrasings"):
        intents.IntentClassifier.load(directory, embedder=OtherEmbedder())
    with pytest.raises(ArtifactRefused, match="expects 'triage-text-classifier'"):
        TextClassifier.load(directory, embedder=hash_embedder)
    with caplog.at_level(logging.WARNING, logger="deskpilot.conversations.intents"):
        again = intents.load_stored_or_train(directory, OtherEmbedder())
    assert "stored intent model not usable" in caplog.text
    assert again.classifier.metadata["embedder_model_id"] == "some-other-encoder"
    assert json.loads((directory / MANIFEST).read_text())["embedder_model_id"] == "some-other-encoder"


def test_kb_index_of_another_version_or_embedder_is_refused(hash_embedder: TokenHashEmbedder,
                                                            tmp_path: Path) -> None:
    _saved_index(tmp_path, hash_embedder)
    assert sorted(KbIndex.load(tmp_path, hash_embedder).documents) == ["printer-jam", "vpn-reset"]
    with pytest.raises(ArtifactRefused, match="made with embedder 'test-token-hash'.*deskpilot kb reindex"):
        KbIndex.load(tmp_path, OtherEmbedder())
    _rewrite(tmp_path, format_version=1)
    with pytest.raises(ArtifactRefused, match="format version 1.*deskpilot kb reindex"):
        KbIndex.load(tmp_path, hash_embedder)


def test_each_part_of_the_kb_index_refuses_on_its_own(hash_embedder: TokenHashEmbedder, tmp_path: Path) -> None:
    _saved_index(tmp_path, hash_embedder)
    with pytest.raises(ArtifactRefused, match="rebuild the index"):
        ExactVectorIndex.load(tmp_path / "vectors", embedder_model_id="some-other-encoder")
    with pytest.raises(ArtifactRefused, match="is in use; it is relearned from the database"):
        QuestionHistory.load(tmp_path / "history", OtherEmbedder())
    _rewrite(tmp_path / "lexical", kind="exact-cosine")
    with pytest.raises(ArtifactRefused, match="expects 'bm25' format version 2"):
        Bm25Index.load(tmp_path / "lexical")


def test_multilingual_vectors_of_another_model_are_dropped_and_computed_again(
        hash_embedder: TokenHashEmbedder, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _saved_index(tmp_path, hash_embedder)
    _rewrite(tmp_path / "ml_vectors", embedder_model_id="labse")
    with caplog.at_level(logging.WARNING, logger="deskpilot.assist.index_store"):
        loaded = KbIndex.load(tmp_path, hash_embedder, multilingual=HashPassageEmbedder())
    assert "multilingual vectors not loaded" in caplog.text and "'labse'" in caplog.text
    assert loaded.ml_vectors is None
    view = loaded.cross_lingual()
    assert view is not None and len(view.vectors) == len(loaded.chunks)


def test_similar_ticket_vectors_of_another_embedder_start_empty(hash_embedder: TokenHashEmbedder,
                                                               tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    vectors = ExactVectorIndex(model_id=hash_embedder.model_id, dimension=hash_embedder.dimension)
    vectors.add(["7"], hash_embedder.encode(["printer jams"]))
    vectors.save(tmp_path / "tickets")
    assert len(TicketIndex(tmp_path / "tickets", TicketVectors(hash_embedder)).index) == 1
    with caplog.at_level(logging.WARNING, logger="deskpilot.triage.similar"):
        other = TicketIndex(tmp_path / "tickets", TicketVectors(OtherEmbedder()))
    assert len(other.index) == 0 and other.index.model_id == "some-other-encoder"
    assert "re-embedding the solved tickets" in caplog.text


def test_span_scorer_of_another_version_or_embedder_is_refused(tmp_path: Path) -> None:
    shipped_scorer().save(tmp_path)
    with pytest.raises(ArtifactRefused, match="retrain it with `benchmarks/answer_bench.py train --write`"):
        SpanScorer.load(tmp_path, embedder_model_id="some-other-encoder")
    _rewrite(tmp_path, format_version=1)
    with pytest.raises(ArtifactRefused, match="expects 'span-scorer' format version 2"):
        SpanScorer.load(tmp_path, embedder_model_id=shipped_scorer().embedder_model_id)


def test_thresholds_travel_with_the_index_and_are_used_when_it_is_loaded(hash_embedder: TokenHashEmbedder,
                                                                       tmp_path: Path) -> None:
    index = _saved_index(tmp_path, hash_embedder)
    stored = json.loads((tmp_path / MANIFEST).read_text())["thresholds"]
    assert stored == tuning_for(hash_embedder.model_id).as_thresholds() == index.tuning.as_thresholds()
    view = index.cross_lingual()
    assert view is not None
    assert HybridRetriever(view).params.evidence_floor == tuning_for(MULTILINGUAL_MODEL_ID).evidence_floor
    assert HybridRetriever(view).params.lexical_weight == tuning_for(MULTILINGUAL_MODEL_ID).lexical_weight < 1.0
    _rewrite(tmp_path / "vectors", thresholds={"evidence_floor": 0.31, "evidence_weight": 7.0,
                                               "history_min_similarity": 0.42})
    _rewrite(tmp_path / "history" / "vectors", thresholds={"history_min_similarity": 0.42})
    loaded = KbIndex.load(tmp_path, hash_embedder)
    params = HybridRetriever(loaded).params
    assert (params.evidence_floor, params.evidence_weight) == (0.31, 7.0)
    assert params.lexical_weight == tuning_for(hash_embedder.model_id).lexical_weight  # not stored: the current one
    assert loaded.history.min_similarity == 0.42
    found = HybridRetriever(loaded).search(RetrievalQuery.from_dialogue("the printer has a paper jam"))
    assert found.evidence is not None and found.evidence.floor == 0.31
