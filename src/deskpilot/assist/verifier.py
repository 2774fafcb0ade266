"""Let an LLM rephrase grounded evidence, then keep only sentences supported by their cited source.

A generated sentence survives only if it ends with a citation of evidence it was given and most of
its content words appear in that evidence (or it is a close paraphrase of one evidence sentence).
If nothing survives, or the model fails, the extractive answer is shown instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from deskpilot.assist.chunking import split_sentences
from deskpilot.assist.grounded import CitedSentence, GroundedAnswer, render
from deskpilot.errors import ProviderError
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.lexical_index import tokenize
from deskpilot.ml.llm_client import ChatMessage, LlmClient

log = logging.getLogger(__name__)
_CITED = re.compile(r"^(?P<text>.*?)\s*\[(?P<slug>[^\[\]\s]+) v(?P<version>\d+)\]\s*[.!?]?$", re.DOTALL)
_SYSTEM_PROMPT = (
    "You rewrite service-desk answers. Use ONLY the evidence given; add no facts, numbers, names or steps. "
    "Write short sentences. End every sentence with the citation tag of the evidence it comes from, "
    "exactly as given, for example [vpn-reset v3]."
)


class Rephraser(Protocol):
    def rephrase(self, question: str, evidence: Sequence[CitedSentence]) -> str: ...


def token_budget(evidence: Sequence[CitedSentence]) -> int:
    """Most tokens a rewrite of `evidence` may take: about twice its words and citations, at most 400.

    A faithful rewrite is about as long as its evidence; a small model that never emits its end-of-turn
    token (gemma3-270m measured at 0.3 s per token on a loaded machine, docs/benchmarks.md) would otherwise
    run on to the client's 400 tokens, and the verifier would drop the rambling anyway.
    """
    words = sum(len(s.text.split()) + len(s.citation.split()) for s in evidence)
    return min(400, 32 + 2 * words)


class LlmRephraser:
    """Asks an OpenAI-compatible model to rewrite the evidence into a friendlier answer."""

    def __init__(self, client: LlmClient) -> None:
        self.client = client

    def rephrase(self, question: str, evidence: Sequence[CitedSentence]) -> str:
        """The model's rewrite (may contain anything: it is verified before use)."""
        lines = "\n".join(f"{s.citation} {s.text}" for s in evidence)
        prompt = f"Question: {question}\n\nEvidence:\n{lines}\n\nAnswer:"
        return self.client.complete([ChatMessage("system", _SYSTEM_PROMPT), ChatMessage("user", prompt)],
                                    max_tokens=token_budget(evidence))


def is_supported(sentence: str, source: str, embedder: Embedder, *, min_recall: float = 0.8) -> bool:
    """True when the sentence's content words are (nearly all) in the source, or it closely
    paraphrases one source sentence while sharing most of its words."""
    words = set(tokenize(sentence))
    if not words:
        return False
    recall = len(words & set(tokenize(source))) / len(words)
    if recall >= min_recall:
        return True
    if recall < 0.5:
        return False
    source_sentences = split_sentences(source) or [source]
    vectors = embedder.encode([sentence, *source_sentences])
    return bool(np.max(vectors[1:] @ vectors[0]) >= 0.9)


def verify(generated: str, evidence: Sequence[CitedSentence], embedder: Embedder) -> tuple[CitedSentence, ...]:
    """Generated sentences that cite given evidence and are supported by it; the rest are dropped."""
    sources: dict[tuple[str, int], list[CitedSentence]] = {}
    for item in evidence:
        sources.setdefault((item.slug, item.version), []).append(item)
    kept = []
    for line in split_sentences(generated):
        match = _CITED.match(line)
        cited = sources.get((match["slug"], int(match["version"]))) if match else None
        if match is None or cited is None:
            log.info("dropped uncited generated sentence: %r", line)
            continue
        text = match["text"].strip()
        if is_supported(text, " ".join(s.text for s in cited), embedder):
            kept.append(CitedSentence(text, cited[0].slug, cited[0].version, cited[0].chunk_id))
        else:
            log.info("dropped unsupported generated sentence: %r", text)
    return tuple(kept)


def verified_rephrasing(
    question: str, extractive: GroundedAnswer, rephraser: Rephraser, embedder: Embedder
) -> GroundedAnswer:
    """The rephrased answer if any of it is supported, else the extractive answer unchanged."""
    try:
        generated = rephraser.rephrase(question, extractive.sentences)
    except ProviderError as exc:
        log.warning("LLM rephrasing unavailable, showing the extractive answer: %s", exc.message)
        return extractive
    kept = verify(generated, extractive.sentences, embedder)
    if not kept:
        return extractive
    return replace(extractive, sentences=kept, text=render(kept), rephrased=True)
