import json
import math
from pathlib import Path

import pytest

from deskpilot.assist.compose import AnswerComposer, shipped_scorer
from deskpilot.assist.grounded import STEP, AnswerDecision
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.assist.span_scorer import SpanScorer
from deskpilot.assist.spans import candidate_spans
from deskpilot.ml.artifacts import MANIFEST, ArtifactRefused
from deskpilot.ml.embeddings import MODEL_ID


def _composer(index: KbIndex, **options: object) -> AnswerComposer:
    return AnswerComposer(HybridRetriever(index), abstain_below=0.3, **options)  # type: ignore[arg-type]


def test_candidate_spans_are_whole_units_and_offer_the_whole_procedure(kb_index: KbIndex) -> None:
    result = HybridRetriever(kb_index).search(RetrievalQuery.from_dialogue("reset my vpn token"), k=3)
    spans = candidate_spans(result)
    assert {result.hits[s.rank].slug for s in spans} == {h.slug for h in result.hits[:3]}
    for span in spans:
        assert all(text in span.chunk.text for text in span.texts)
    procedures = [s.texts for s in spans if sum(1 for t in s.texts if STEP.match(t)) == 3]
    assert ("To reset the token:", "1. Open the self-service portal.", "2. Choose Security, then Reset VPN token.",
            "3. Scan the new QR code with the authenticator app.") in procedures


def test_answer_is_the_sentence_that_answers_not_the_whole_article(kb_index: KbIndex) -> None:
    answer = _composer(kb_index).answer(RetrievalQuery.from_dialogue("how many characters does a new password need"))
    assert not answer.abstained
    assert {s.slug for s in answer.sentences} == {"password-expired"}
    assert any("12 characters" in s.text for s in answer.sentences)
    assert not any("expires every 90 days" in s.text for s in answer.sentences)
    assert 0.0 < answer.answer_probability < 1.0


def test_the_desk_bar_decides_between_answering_and_answering_with_a_caution(kb_index: KbIndex) -> None:
    query = RetrievalQuery.from_dialogue("outlook says my mailbox is full")
    sure = _composer(kb_index, confident_above=0.0).answer(query)
    careful = _composer(kb_index, confident_above=1.0).answer(query)
    assert sure.decision is AnswerDecision.ANSWER
    assert careful.decision is AnswerDecision.CAUTION
    assert careful.text == sure.text
    handed_over = _composer(kb_index).answer(RetrievalQuery.from_dialogue("what is the capital of mongolia"))
    assert handed_over.abstained and handed_over.decision is AnswerDecision.HAND_OVER
    assert math.isnan(handed_over.answer_probability)


def test_shipped_scorer_records_how_it_was_chosen_and_refuses_another_format_or_embedder(tmp_path: Path) -> None:
    scorer = shipped_scorer()
    cv = scorer.metadata["cv"]
    assert scorer.confident_above == cv["confident_above"]
    assert cv["precision_target"] == 0.95 and cv["folds"] == 5
    assert scorer.embedder_model_id == MODEL_ID
    directory = tmp_path / "span_model"
    scorer.save(directory)
    assert SpanScorer.load(directory, embedder_model_id=MODEL_ID).span.coef.tolist() == scorer.span.coef.tolist()
    with pytest.raises(ArtifactRefused, match="'another-encoder' is in use; retrain"):
        SpanScorer.load(directory, embedder_model_id="another-encoder")
    manifest = json.loads((directory / MANIFEST).read_text()) | {"format_version": 0}
    (directory / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactRefused, match="retrain"):
        SpanScorer.load(directory, embedder_model_id=MODEL_ID)