from deskpilot.assist.compose import AI_ASSISTED_LABEL, HANDOFF_MESSAGE, AnswerComposer, draft_reply
from deskpilot.assist.gaps import cluster_gaps
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.ml.embeddings import MiniLmEmbedder


def _composer(index: KbIndex, threshold: float = 0.3) -> AnswerComposer:
    return AnswerComposer(HybridRetriever(index), abstain_below=threshold)


def test_every_answer_sentence_cites_a_passage_that_contains_it(kb_index: KbIndex) -> None:
    composer = _composer(kb_index, threshold=0.0)
    for question in ["how do I reset my vpn token", "paper is stuck in the printer", "my mailbox is full"]:
        answer = composer.answer(RetrievalQuery.from_dialogue(question))
        assert not answer.abstained and answer.sentences
        for sentence in answer.sentences:
            chunk = kb_index.chunks[sentence.chunk_id]
            assert sentence.text in chunk.text
            assert (chunk.slug, chunk.version) == (sentence.slug, sentence.version)
            assert f"{sentence.text} {sentence.citation}" in answer.text


def test_numbered_steps_are_answered_as_a_whole_with_version_citations(kb_index: KbIndex) -> None:
    answer = _composer(kb_index, threshold=0.0).answer(RetrievalQuery.from_dialogue("steps to reset vpn token"))
    texts = [s.text for s in answer.sentences]
    assert texts[:1] == ["To reset the token:"] or texts[0].startswith("1.")
    assert any(t.startswith("3. Scan the new QR code") for t in texts)
    assert "[vpn-reset v3]" in answer.text


def test_out_of_scope_question_is_handed_over(kb_index: KbIndex) -> None:
    answer = _composer(kb_index, threshold=0.5).answer(
        RetrievalQuery.from_dialogue("what is the capital of mongolia and its population")
    )
    assert answer.abstained
    assert answer.text == HANDOFF_MESSAGE
    assert answer.sentences == ()


def test_agent_draft_keeps_citations_and_is_labelled_ai_assisted(kb_index: KbIndex) -> None:
    draft = draft_reply(
        "Hi, since this morning my printer has paper jammed inside. Regards, Bob", _composer(kb_index, threshold=0.0)
    )
    assert "[printer-jam v1]" in draft.text
    assert AI_ASSISTED_LABEL in draft.text
    assert draft.label == AI_ASSISTED_LABEL


def test_abstained_questions_cluster_into_articles_to_write(embedder: MiniLmEmbedder) -> None:
    questions = [
        "how do I book a meeting room",
        "how can I reserve a conference room",
        "booking a meeting room for tomorrow",
        "where do I order a new monitor",
        "I need a second monitor, how do I order one",
        "what is the guest parking policy",
    ]
    gaps = cluster_gaps(questions, embedder)
    assert gaps[0].count == 3 and "room" in gaps[0].representative
    assert gaps[1].count == 2 and "monitor" in gaps[1].representative
    assert sum(g.count for g in gaps) == len(questions)
