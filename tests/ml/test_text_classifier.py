"""The triage text classifier: closed label set, abstention, explanations, save/load, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.ml.artifacts import MANIFEST, ArtifactRefused
from deskpilot.ml.baselines import TfidfSvmBaseline
from deskpilot.ml.text_classifier import FORMAT_VERSION, ClassifierConfig, TextClassifier
from deskpilot.ml.training_data import training_data_hash
from tests.ml.conftest import TokenHashEmbedder, read_slice

_HOSTILE_TEXT = st.one_of(
    st.just(""),
    st.text(max_size=200),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So"]), max_size=100),
    st.text(min_size=1, max_size=5).map(lambda s: s * 20_000),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(_HOSTILE_TEXT, min_size=1, max_size=4))
def test_predictions_never_leave_the_training_label_set(trained_classifier: TextClassifier, batch: list[str]) -> None:
    predictions = trained_classifier.predict(batch)
    assert len(predictions) == len(batch)
    for prediction in predictions:
        assert prediction.label in trained_classifier.labels
        assert 0.0 <= prediction.confidence <= 1.0
        assert prediction.alternatives[0].label == prediction.label
        assert all(alt.label in trained_classifier.labels for alt in prediction.alternatives)
        assert prediction.abstained == (prediction.confidence < trained_classifier.threshold)


def test_known_request_is_answered_with_explaining_terms(trained_classifier: TextClassifier) -> None:
    text = "My new card still has not arrived, where is it?"
    [prediction] = trained_classifier.predict([text])
    assert prediction.label == "card_arrival"
    assert not prediction.abstained
    assert prediction.top_terms
    assert all(term.term in text.lower() and term.weight > 0 for term in prediction.top_terms)
    scores = [alt.score for alt in prediction.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_nonsense_and_out_of_scope_text_abstains(trained_classifier: TextClassifier) -> None:
    batch = ["", "🦜🦜🦜", "qwertyuiop asdfghjkl"]
    assert all(p.abstained for p in trained_classifier.predict(batch))
    [known] = trained_classifier.predict(["I lost my card, someone stole it"])
    assert not known.abstained


def test_oos_label_sets_the_threshold_from_cross_validation(hash_embedder: TokenHashEmbedder) -> None:
    labels = ("translate", "balance", "timer", "weather", "oos")
    texts, gold = read_slice("clinc150", "train", labels, 40)
    model = TextClassifier(embedder=hash_embedder).train(texts, gold)
    assert "OOS recall >= 0.80" in model.metadata["threshold_rule"]
    assert model.metadata["metrics"]["cv_oos_recall"] >= 0.8
    assert 0.0 < model.metadata["metrics"]["cv_in_scope_accuracy"] <= 1.0
    assert set(model.labels) == set(labels)
    strict = TextClassifier(ClassifierConfig(target_oos_recall=1.0), embedder=hash_embedder).train(texts, gold)
    assert strict.metadata["metrics"]["cv_oos_recall"] == 1.0
    assert strict.threshold >= model.threshold


def test_save_then_load_gives_identical_predictions(
    trained_classifier: TextClassifier,
    banking_slice: tuple[list[str], list[str]],
    tmp_path: Path,
    hash_embedder: TokenHashEmbedder,
) -> None:
    trained_classifier.save(tmp_path)
    loaded = TextClassifier.load(tmp_path, embedder=hash_embedder)
    texts = banking_slice[0][:40] + ["", "something else entirely"]
    assert loaded.predict(texts) == trained_classifier.predict(texts)
    assert loaded.threshold == trained_classifier.threshold
    with np.load(tmp_path / "weights.npz") as weights:
        assert weights["reference"].shape == (len(banking_slice[0]), hash_embedder.dimension)


def test_metadata_describes_the_training_run(
    trained_classifier: TextClassifier, banking_slice: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    trained_classifier.save(tmp_path)
    meta = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert meta["kind"] == "triage-text-classifier"
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["embedder_model_id"] == "test-token-hash"
    assert meta["training_data_sha256"] == training_data_hash(*banking_slice)
    assert sorted(meta["labels"]) == sorted(set(banking_slice[1]))
    assert 0.0 < meta["metrics"]["cv_accuracy"] <= 1.0
    assert meta["thresholds"]["abstain_below"] == trained_classifier.threshold
    assert meta["created_at"]
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.joblib"))


def test_incompatible_format_version_is_refused_with_retrain_advice(
    trained_classifier: TextClassifier, tmp_path: Path, hash_embedder: TokenHashEmbedder
) -> None:
    trained_classifier.save(tmp_path)
    meta_path = tmp_path / MANIFEST
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format_version"] = 999
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ArtifactRefused) as refused:
        TextClassifier.load(tmp_path, embedder=hash_embedder)
    message = refused.value.message
    assert "format version 999" in message
    assert f"expects 'triage-text-classifier' format version {FORMAT_VERSION}" in message
    assert "deskpilot train triage" in message


def test_model_trained_with_another_embedder_is_refused(trained_classifier: TextClassifier, tmp_path: Path) -> None:
    trained_classifier.save(tmp_path)
    other = TokenHashEmbedder()
    other.model_id = "some-other-encoder"
    with pytest.raises(ArtifactRefused, match="some-other-encoder") as refused:
        TextClassifier.load(tmp_path, embedder=other)
    assert "deskpilot train triage" in refused.value.message


def test_baseline_shares_the_prediction_interface_and_refuses_foreign_models(
    banking_slice: tuple[list[str], list[str]], trained_classifier: TextClassifier, tmp_path: Path
) -> None:
    baseline = TfidfSvmBaseline().train(*banking_slice)
    [prediction] = baseline.predict(["I lost my card, someone stole it"])
    assert prediction.label == "lost_or_stolen_card"
    assert baseline.metadata["embedder_model_id"] is None
    trained_classifier.save(tmp_path)
    with pytest.raises(ArtifactRefused, match="triage-text-classifier-baseline"):
        TfidfSvmBaseline.load(tmp_path)


def test_training_data_must_have_labels_for_every_text(hash_embedder: TokenHashEmbedder) -> None:
    model = TextClassifier(embedder=hash_embedder)
    with pytest.raises(InvalidInput, match="2 texts but 1 labels"):
        model.train(["a", "b"], ["x"])
    with pytest.raises(InvalidInput, match="two distinct labels"):
        model.train(["a", "b"], ["x", "x"])
    with pytest.raises(ProviderError, match="not trained"):
        model.predict(["a"])
